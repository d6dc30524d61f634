"""What every Google source (gmail, gcal, gcontacts) declares about its grant — light: pydantic
and strings only, so a source's `__init__` can import it without loading Google's libraries.

One Google account's grant is one token file (google-auth authorized-user JSON). Any number of
keepwarm accounts may share it: the Gmail mailbox, its calendars and its contacts are one user's
consent to the union of the scopes they need (`keepwarm auth google ACCOUNT` asks for exactly
that union; see connectors.common.google_login). Each account still checks its own scope, so a
token missing the calendar scope fails the calendar account only, naming the command that
fixes it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypeVar

from connectors.source import Auth, AuthFlag, AuthRequest
from models.paths import config_home, expand
from models.settings import AccountSettings

SCOPE_ROOT = "https://www.googleapis.com/auth/"
GMAIL_METADATA = SCOPE_ROOT + "gmail.metadata"
GMAIL_READONLY = SCOPE_ROOT + "gmail.readonly"
GMAIL_SEND = SCOPE_ROOT + "gmail.send"
CALENDAR_READONLY = SCOPE_ROOT + "calendar.readonly"
CONTACTS_READONLY = SCOPE_ROOT + "contacts.readonly"

# Scopes that are broader than what keepwarm asks for but serve it as well: a token that holds
# one of these instead still works (a user who granted full calendar access to another tool's
# client and points keepwarm at it, say).
WIDER = {
    GMAIL_METADATA: (GMAIL_READONLY, SCOPE_ROOT + "gmail.modify", "https://mail.google.com/"),
    GMAIL_READONLY: (SCOPE_ROOT + "gmail.modify", "https://mail.google.com/"),
    CALENDAR_READONLY: (SCOPE_ROOT + "calendar",),
    CONTACTS_READONLY: (SCOPE_ROOT + "contacts",),
}

COMMAND = "google"  # `keepwarm auth google ACCOUNT`
ALIASES = ("gmail",)  # `keepwarm auth gmail ACCOUNT` keeps working


def reauth_command(account: str) -> str:
    return f"keepwarm auth {COMMAND} {account}"


def short_scope(scope: str) -> str:
    return scope.removeprefix(SCOPE_ROOT)


class GoogleAccount(AccountSettings):
    """The settings every Google source has: where the grant lives and the OAuth client that
    `keepwarm auth google` uses to ask for it. Subclasses say which scope they need."""

    token_file: str = ""
    client_secrets_file: str = ""

    def token_path(self) -> Path:
        if self.token_file:
            return expand(self.token_file)
        return config_home() / "keepwarm" / "tokens" / f"{self.name}.json"

    def needed_scopes(self) -> tuple[str, ...]:
        """The scopes this account asks for when its token is (re)granted."""
        raise NotImplementedError

    def service_endpoint(self) -> str:
        """The discovery client's api_endpoint (sources read through GoogleApi say it)."""
        raise NotImplementedError

    def satisfied_by(self, granted: frozenset[str]) -> bool:
        """Whether a token holding `granted` serves this account."""
        return all(
            scope in granted or any(w in granted for w in WIDER.get(scope, ()))
            for scope in self.needed_scopes()
        )


GoogleT = TypeVar("GoogleT", bound=GoogleAccount)


def grant_key(account: GoogleAccount) -> str:
    """One Google grant (a token file) is one user of one OAuth client's project: the name
    of the provider quotas that user draws on."""
    path = str(account.token_path())
    return f"{account.token_path().stem}-{hashlib.sha1(path.encode()).hexdigest()[:8]}"


def check_grant(account: GoogleAccount, command: str = COMMAND) -> str | None:
    """Without the network: the token file exists, holds a refresh token and the scopes this
    account needs — so `doctor` and `sync` say "run `keepwarm auth google …`" (or the
    `command` alias the source names) before anything starts."""
    import json

    path = account.token_path()
    fix = f"run `keepwarm auth {command} {account.name}`"
    if not path.exists():
        return f"account {account.name!r}: not authorized yet (no token at {path}); {fix}"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"account {account.name!r}: token file {path} is unreadable; {fix}"
    if not isinstance(info, dict) or not info.get("refresh_token"):
        return f"account {account.name!r}: token file {path} has no refresh token; {fix}"
    granted = info.get("scopes")
    if isinstance(granted, list) and granted and not account.satisfied_by(frozenset(granted)):
        wanted = ", ".join(short_scope(s) for s in account.needed_scopes())
        return f"account {account.name!r}: the token does not grant {wanted}; {fix}"
    return None


def _login(account: GoogleAccount, request: AuthRequest) -> str:
    from connectors.common.google_login import login

    return login(account, request)


def google_auth(_settings: type[GoogleT]) -> Auth[GoogleT]:
    """The one login all Google sources declare: `keepwarm auth google ACCOUNT`."""
    return Auth(
        _login,
        help="Installed-app OAuth for a Google account: one consent to the scopes of every "
        "account (Gmail, Calendar, Contacts) that shares this account's token file; stores the "
        "token 0600.",
        flags=(
            AuthFlag("send", "Also allow sending the report through Gmail (gmail.send)."),
            AuthFlag(
                "no_browser",
                "Do not open a browser: print the URL, then paste back the address the browser "
                "was sent to (for a server without a browser).",
            ),
        ),
        command=COMMAND,
        aliases=ALIASES,
    )
