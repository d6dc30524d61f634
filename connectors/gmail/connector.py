"""The Gmail connector: nightly history sync, falling back to (or resuming) a backfill."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Me, Window
from connectors.gmail.backfill import Backfill, window_ms
from connectors.gmail.client import GmailClient
from connectors.gmail.cursor import CURSOR, BackfillState
from connectors.gmail.history import HistoryGone, nightly
from connectors.gmail.progress import RunProgress
from connectors.gmail.settings import GmailAccount
from connectors.source import Progress, no_progress
from models.identity import normalize_email
from models.records import Batch


class GmailConnector:
    """`batches(cursor)`: history since the cursor; `batches(cursor, window)`: a backfill."""

    def __init__(
        self,
        account: GmailAccount,
        me: Me,
        *,
        batch_size: int = 500,
        progress: bool | None = None,
        report: Callable[[Progress], None] = no_progress,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = account
        self.account = account.name
        self.me = me
        self.batch_size = batch_size
        self.progress_enabled = progress
        self.report = report
        self.clock, self.sleep, self.now = clock, sleep, now
        self.last_summary: dict[str, Any] = {}
        self.last_meter: Any = None

    def _client(self) -> GmailClient:
        return GmailClient(self.config, clock=self.clock, sleep=self.sleep)

    def _aliases(self, client: GmailClient) -> tuple[str, ...]:
        request = client.users.settings().sendAs().list(userId="me", fields="sendAs(sendAsEmail)")
        answer = client.call("sendAs.list", request)
        found = {normalize_email(self.config.address)}
        for entry in answer.get("sendAs") or []:
            found.add(normalize_email(str(entry.get("sendAsEmail", ""))))
        return tuple(sorted(a for a in found if a))

    def _seed(self, client: GmailClient, window: Window | None, end: int | None) -> BackfillState:
        """getProfile BEFORE listing: mail arriving during the backfill is after this id."""
        profile = client.call("getProfile", client.users.getProfile(userId="me"))
        if window is None:
            window = Window(self.now() - timedelta(days=self.config.lookback_days), None)
        since, until = window_ms(window)
        return BackfillState(
            history_id=int(profile["historyId"]), since=since, until=until, end_history=end
        )

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        client = self._client()
        progress = RunProgress(self.account, self.progress_enabled, report=self.report)
        try:
            state = CURSOR.decode(cursor, self.account)
            aliases = self._aliases(client)
            me = self.me.with_aliases(aliases)
            run = Backfill(client, self.account, me, aliases, self.batch_size, progress)
            if window is not None:
                since, until = window_ms(window)
                resuming = isinstance(state, BackfillState) and (state.since, state.until) == (
                    since,
                    until,
                )
                if isinstance(state, BackfillState) and resuming:
                    yield from run.run(state)
                else:
                    # A window re-read must not move a nightly cursor past unread mail.
                    end = state.history_id if state is not None else None
                    yield from run.run(self._seed(client, window, end))
            elif isinstance(state, BackfillState):
                yield from run.run(state)
            elif state is None:
                yield from run.run(self._seed(client, None, None))
            else:
                try:
                    yield from nightly(
                        client,
                        self.account,
                        me,
                        aliases,
                        state.history_id,
                        state.off,
                        self.batch_size,
                        progress,
                    )
                except HistoryGone:
                    yield from run.run(self._seed(client, None, None))
            client.save_if_refreshed()
        finally:
            progress.finish(client.meter)
            self.last_summary = progress.summary()
            self.last_meter = client.meter
