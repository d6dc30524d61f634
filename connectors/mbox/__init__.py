"""Mail exports (Google Takeout mbox, any mbox, .eml files) as email interactions: the
source's declaration."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.files import check_path
from connectors.mbox.settings import MboxAccount
from connectors.source import BuildOptions, Source


def build(account: MboxAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.mbox.connector import MboxConnector

    return MboxConnector(
        account.name,
        account.resolved_path(),
        me,
        batch_size=options.batch_size,
        now=options.now,
        progress=options.progress,
    )


SOURCE = Source(kind="mbox", settings=MboxAccount, build=build, check=check_path)
