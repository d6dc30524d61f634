"""Gmail through the API — metadata only, quota-planned backfill, cheap nightly history sync:
the source's declaration. Google's client libraries load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.google_account import google_auth
from connectors.gmail.settings import GmailAccount
from connectors.source import BuildOptions, Source


def build(account: GmailAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.gmail.connector import GmailConnector

    return GmailConnector(account, me, batch_size=options.batch_size, now=options.now)


def limit_key(account: GmailAccount) -> str:
    """Gmail's quota is per user: one sync per mailbox at a time, across workers."""
    return f"gmail-user-{account.address}"


SOURCE = Source(
    kind="gmail",
    settings=GmailAccount,
    build=build,
    limit_key=limit_key,
    auth=google_auth(GmailAccount),
)
