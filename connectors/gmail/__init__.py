"""Gmail through the API — metadata only, quota-planned backfill, cheap nightly history sync:
the source's declaration. Google's client libraries load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.gmail.settings import GmailAccount
from connectors.source import Auth, AuthFlag, AuthRequest, BuildOptions, Source


def build(account: GmailAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.gmail.connector import GmailConnector

    return GmailConnector(account, me, batch_size=options.batch_size, now=options.now)


def limit_key(account: GmailAccount) -> str:
    """Gmail's quota is per user: one sync per mailbox at a time, across workers."""
    return f"gmail-user-{account.address}"


def login(account: GmailAccount, request: AuthRequest) -> str:
    from connectors.gmail.auth import run_auth

    path = run_auth(account, send=request.flag("send"))
    return f"token saved to {path} (mode 0600)"


SOURCE = Source(
    kind="gmail",
    settings=GmailAccount,
    build=build,
    limit_key=limit_key,
    auth=Auth(
        login,
        help="Installed-app OAuth for a Gmail account; stores the token file 0600.",
        flags=(AuthFlag("send", "Also allow sending the report (gmail.send)."),),
    ),
)
