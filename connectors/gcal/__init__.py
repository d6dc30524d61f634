"""Google Calendar (v3) through google-api-python-client: every meeting occurrence of the
configured calendars, a full read once, then `syncToken` changes — the source's declaration.
Google's client libraries load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.google_account import check_grant, google_auth, grant_key
from connectors.gcal.settings import GcalAccount
from connectors.source import BuildOptions, Source


def build(account: GcalAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.gcal.connector import GcalConnector

    return GcalConnector(account, me, batch_size=options.batch_size, now=options.now)


def limit_key(account: GcalAccount) -> str:
    """Calendar's quotas are per project and per user per project, apart from Gmail's: one
    Calendar sync per grant at a time; Gmail and People syncs of the same user run alongside."""
    return f"google-calendar-{grant_key(account)}"


SOURCE = Source(
    kind="gcal",
    settings=GcalAccount,
    build=build,
    limit_key=limit_key,
    check=check_grant,
    auth=google_auth(GcalAccount),
)
