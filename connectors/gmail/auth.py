"""`keepwarm auth gmail ACCOUNT`: now the one Google login (connectors.common.google_login).

Scope `gmail.metadata` by default (no bodies, ever); `gmail.readonly` when the account asks;
`gmail.send` added when the account also delivers the report; and the scopes of every gcal /
gcontacts account sharing the token file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors.common.google_login import login
from connectors.gmail.client import SEND_SCOPE
from connectors.gmail.settings import SCOPES, GmailAccount
from connectors.source import AuthRequest
from models.settings import AccountSettings


def scopes_for(account: GmailAccount, send: bool = False) -> list[str]:
    scopes = [SCOPES[account.scope]]
    return [*scopes, SEND_SCOPE] if send else scopes


def run_auth(
    account: GmailAccount,
    send: bool = False,
    *,
    open_browser: bool = True,
    peers: Sequence[AccountSettings] = (),
) -> Path:
    """Run the consent flow and write the authorized-user token file (0600)."""
    flags = {"send"} if send else set()
    if not open_browser:
        flags.add("no_browser")
    login(account, AuthRequest(frozenset(flags), peers=tuple(peers)))
    return account.token_path()
