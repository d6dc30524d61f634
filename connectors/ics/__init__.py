""".ics calendar exports as meeting interactions: the source's declaration."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.files import check_path
from connectors.ics.settings import IcsAccount
from connectors.source import BuildOptions, Source


def build(account: IcsAccount, me: Me, options: BuildOptions) -> Connector:
    """The window is placed once, at build time, from `options.now` (fixed in tests)."""
    from connectors.ics.connector import IcsConnector  # icalendar only when reading

    return IcsConnector(
        account.name,
        account.resolved_path(),
        me,
        lookback_days=account.lookback_days,
        lookahead_days=account.lookahead_days,
        batch_size=options.batch_size,
        now=options.now(),
    )


SOURCE = Source(kind="ics", settings=IcsAccount, build=build, check=check_path)
