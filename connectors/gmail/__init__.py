"""Gmail through the API — metadata only, quota-planned backfill, cheap nightly history sync:
the source's declaration. Google's client libraries load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.google_account import check_grant, google_auth
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
    """The shared grant check, naming the command Gmail users know (`auth gmail`)."""
    return check_grant(account, command="gmail")


SOURCE = Source(
    kind="gmail",
    settings=GmailAccount,
    build=build,
    limit_key=limit_key,
    check=check,
    auth=google_auth(GmailAccount),
)
