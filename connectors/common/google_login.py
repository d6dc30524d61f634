"""`keepwarm auth google ACCOUNT` (alias `auth gmail`): one consent for a Google token file.

The scopes asked are the union of what every Google account in the config that shares the
account's token file needs (Gmail metadata or readonly, Calendar readonly, Contacts readonly),
plus gmail.send with `--send` — or when the token being replaced already had it, so granting the
calendar later does not silently take away the digest's delivery through Gmail.

Two ways to bring the answer back, both the installed-app ("Desktop app") flow:
- default: a one-shot server on a loopback port receives the browser's redirect. The URL is
  always printed (a browser may fail to open: `BROWSER=/bin/false`, a server, a container);
- `--no-browser`: nothing listens; the URL is printed and the user pastes back the address the
  browser was sent to (it fails to load — `http://localhost:PORT/?state=…&code=…` — which is
  fine: the code is in the address). For a server reached over SSH.
The token file is written 0600, with the scopes Google actually granted; a scope the user
unticked on the consent screen is named, with the accounts that will fail without it.
"""

from __future__ import annotations

import socket
import webbrowser
import wsgiref.simple_server
import wsgiref.util
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow

from connectors.common.google import load_credentials, save_credentials
from connectors.common.google_account import (
    GMAIL_SEND,
    GoogleAccount,
    reauth_command,
    short_scope,
)
from connectors.errors import FatalError
from connectors.source import AuthRequest
from models.paths import expand
from models.settings import AccountSettings

WAIT_SECONDS = 600.0


def sharing(account: GoogleAccount, peers: Iterable[AccountSettings]) -> list[GoogleAccount]:
    """The account and every Google account of the config that uses the same token file."""
    path = account.token_path()
    found = [account]
    for peer in peers:
        if (
            isinstance(peer, GoogleAccount)
            and peer.name != account.name
            and peer.token_path() == path
        ):
            found.append(peer)
    return found


def wanted_scopes(
    accounts: Iterable[GoogleAccount], *, send: bool, had: Iterable[str]
) -> list[str]:
    scopes: set[str] = set()
    for acct in accounts:
        scopes.update(acct.needed_scopes())
    if send or GMAIL_SEND in set(had):
        scopes.add(GMAIL_SEND)
    return sorted(scopes)


def _previous_scopes(account: GoogleAccount) -> frozenset[str]:
    try:
        creds = load_credentials(account.token_path(), account.name, "")
    except FatalError:
        return frozenset()
    return frozenset(creds.scopes or ())


def _client_secrets(accounts: list[GoogleAccount]) -> Path:
    named = next((a for a in accounts if a.client_secrets_file), None)
    if named is None:
        raise FatalError(
            accounts[0].name,
            "set `client_secrets_file` to the OAuth client JSON (Desktop app) from Google Cloud "
            "(README: Connect Google)",
        )
    path = expand(named.client_secrets_file)
    if not path.exists():
        raise FatalError(
            named.name,
            f"client_secrets_file {path} does not exist; download the OAuth client JSON "
            "(type Desktop app) from Google Cloud console > APIs & Services > Credentials, "
            "save it there or fix the path (README: Connect Google)",
        )
    return path


def login(account: GoogleAccount, request: AuthRequest) -> str:
    """Run the consent flow for `account`'s token file; returns the line to print."""
    accounts = sharing(account, request.peers)
    secrets = _client_secrets(accounts)
    had = _previous_scopes(account)
    scopes = wanted_scopes(accounts, send=request.flag("send"), had=had)
    names = ", ".join(a.name for a in accounts)
    request.say(
        f"Asking Google for {', '.join(short_scope(s) for s in scopes)} "
        f"(accounts sharing {account.token_path()}: {names})"
    )
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets), scopes=scopes)
    if request.flag("no_browser"):
        creds = _pasted(flow, request, account.name)
    else:
        creds = _loopback(flow, request, account.name)
    path = account.token_path()
    save_credentials(path, creds)
    granted = frozenset(getattr(creds, "granted_scopes", None) or scopes)
    missing = [a.name for a in accounts if not a.satisfied_by(granted)]
    line = f"token saved to {path} (mode 0600) for {names}"
    if missing:
        refused = ", ".join(short_scope(s) for s in scopes if s not in granted)
        line += (
            f"\nwarning: Google did not grant {refused} (a box left unticked on the consent "
            f"screen?): {', '.join(missing)} will fail until you run "
            f"`{reauth_command(account.name)}` again and allow it"
        )
    return line


# -- the two ways back ---------------------------------------------------------------------


class _Catch:
    """The WSGI app on the loopback port: keeps the redirect's address, thanks the user."""

    def __init__(self) -> None:
        self.uri: str | None = None

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        self.uri = wsgiref.util.request_uri(environ)
        return [b"keepwarm is authorized. You can close this tab."]


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _authorization_url(flow: InstalledAppFlow) -> tuple[str, str]:
    # prompt=consent: Google sends a refresh token again, and shows every scope asked.
    url, state = flow.authorization_url(access_type="offline", prompt="consent")
    return str(url), str(state)


def _loopback(
    flow: InstalledAppFlow, request: AuthRequest, name: str, *, wait: float = WAIT_SECONDS
) -> Credentials:
    catch = _Catch()
    server = wsgiref.simple_server.make_server("localhost", 0, catch, handler_class=_Quiet)
    try:
        flow.redirect_uri = f"http://localhost:{server.server_port}/"
        url, state = _authorization_url(flow)
        opened = False
        try:
            opened = bool(webbrowser.get().open(url, new=1, autoraise=True))
        except webbrowser.Error:
            opened = False
        lead = "A browser window should have opened; if not, open" if opened else "Open"
        request.say(f"{lead} this URL in a browser on this machine to authorize keepwarm:\n{url}")
        request.say(
            f"Waiting for Google's answer on {flow.redirect_uri} (up to {wait / 60:.0f} min; "
            "on a machine without a browser, use --no-browser instead)…"
        )
        server.timeout = wait
        server.handle_request()
    finally:
        server.server_close()
    if catch.uri is None:
        raise FatalError(
            name,
            f"no answer from the browser within {wait / 60:.0f} minutes; run the command "
            "again (with --no-browser on a machine without a browser)",
        )
    return _exchange(flow, catch.uri, state, name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


def _pasted(flow: InstalledAppFlow, request: AuthRequest, name: str) -> Credentials:
    flow.redirect_uri = f"http://localhost:{_free_port()}/"
    url, state = _authorization_url(flow)
    request.say(
        "Open this URL in a browser on any machine and allow access:\n"
        f"{url}\n"
        f"Google then sends the browser to {flow.redirect_uri}?… — a page that will not load "
        "(nothing listens there). Copy the whole address from the browser's address bar."
    )
    answer = request.ask("Paste the address here: ").strip()
    return _exchange(flow, answer, state, name)


def _exchange(flow: InstalledAppFlow, answer: str, state: str, name: str) -> Credentials:
    """Trade the code in the redirect address (or the bare code) for the token."""
    query = parse_qs(urlsplit(answer).query) if "?" in answer or "://" in answer else {}
    if query.get("error"):
        raise FatalError(name, f"Google refused: {query['error'][0]}")
    if query:
        if query.get("state", [""])[0] != state:
            raise FatalError(name, "the pasted address belongs to another attempt (state)")
        code = query.get("code", [""])[0]
    else:
        code = answer
    if not code:
        raise FatalError(name, "no authorization code in the answer")
    flow.fetch_token(code=code)
    creds = flow.credentials
    if not isinstance(creds, Credentials):
        raise FatalError(name, "the OAuth flow returned no user credentials")
    return creds
