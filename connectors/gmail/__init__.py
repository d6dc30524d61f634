"""Gmail through the API — metadata only, quota-planned backfill, cheap nightly history sync:
the source's declaration. Google's client libraries load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.google_account import google_auth
from connectors.gmail.settings import GmailAccount
from connectors.source import BuildOptions, Source, no_progress


def build(account: GmailAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.gmail.connector import GmailConnector

    # The sync loop draws progress (BuildOptions.progress); the connector's own bar stays for
    # direct use (bench/), off here so two bars never fight over the terminal.
    return GmailConnector(
        account,
        me,
        batch_size=options.batch_size,
        now=options.now,
        progress=False if options.progress is not no_progress else None,
        report=options.progress,
    )


def limit_key(account: GmailAccount) -> str:
    """Gmail's quota is per user: one sync per mailbox at a time, across workers."""
    return f"gmail-user-{account.address}"


def check(account: GmailAccount) -> str | None:
    """A token file exists, is the JSON `keepwarm auth gmail` writes, and grants the scope."""
    import json

    from connectors.gmail.settings import SCOPES

    path = account.token_path()
    fix = f"run `keepwarm auth gmail {account.name}`"
    if not path.exists():
        return f"account {account.name!r}: not authorized yet (no token at {path}); {fix}"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"account {account.name!r}: token file {path} is unreadable; {fix}"
    if not isinstance(info, dict) or not info.get("refresh_token"):
        return f"account {account.name!r}: token file {path} has no refresh token; {fix}"
    granted = set(info.get("scopes") or [])
    wanted = (
        {SCOPES[account.scope], SCOPES["readonly"]}
        if account.scope == "metadata"
        else {SCOPES["readonly"]}
    )
    if granted and not granted & wanted:
        return (
            f"account {account.name!r}: the token does not grant {SCOPES[account.scope]} "
            f"(it has {', '.join(sorted(granted))}); {fix}"
        )
    return None


SOURCE = Source(
    kind="gmail",
    settings=GmailAccount,
    build=build,
    limit_key=limit_key,
    check=check,
    auth=google_auth(GmailAccount),
)
