"""`keepwarm auth gmail ACCOUNT`: the installed-app OAuth flow, token saved 0600.

Scope `gmail.metadata` by default (no bodies, ever); `gmail.readonly` when the account asks;
`gmail.send` added when the account also delivers the report.
"""

from __future__ import annotations

from pathlib import Path

from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow

from connectors.errors import FatalError
from connectors.gmail.client import SCOPES, SEND_SCOPE, save_credentials
from connectors.gmail.settings import GmailAccount
from models.paths import expand


def scopes_for(account: GmailAccount, send: bool = False) -> list[str]:
    scopes = [SCOPES[account.scope]]
    return [*scopes, SEND_SCOPE] if send else scopes


def run_auth(account: GmailAccount, send: bool = False, *, open_browser: bool = True) -> Path:
    """Run the browser consent flow and write the authorized-user token file (0600)."""
    if not account.client_secrets_file:
        raise FatalError(
            account.name,
            "set `client_secrets_file` to the OAuth client JSON (Desktop app) from Google Cloud",
        )
    secrets = expand(account.client_secrets_file)
    if not secrets.exists():
        raise FatalError(account.name, f"client secrets file {secrets} not found")
    flow = InstalledAppFlow.from_client_secrets_file(str(secrets), scopes=scopes_for(account, send))
    creds = flow.run_local_server(
        host="localhost", port=0, open_browser=open_browser, authorization_prompt_message=""
    )
    if not isinstance(creds, Credentials):
        raise FatalError(account.name, "the OAuth flow returned no user credentials")
    path = account.token_path()
    save_credentials(path, creds)
    return path
