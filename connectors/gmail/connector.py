"""The Gmail connector: nightly history sync, falling back to (or resuming) a backfill."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Me, Window, window_note
from connectors.errors import FatalError
from connectors.gmail.backfill import Backfill, window_ms
from connectors.gmail.client import GmailClient
from connectors.gmail.cursor import CURSOR, BackfillState, GmailState, Nightly
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
        self._notes: dict[str, int] = {}

    def _nightly(
        self,
        client: GmailClient,
        run: Backfill,
        me: Me,
        aliases: tuple[str, ...],
        state: Nightly,
        progress: RunProgress,
    ) -> Iterator[Batch]:
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
            # Gmail no longer has history that old: a full read, which sweeps (run.run).
            self._notes[
                "history expired (404): read the mailbox again in full, and swept "
                "what was deleted meanwhile"
            ] = 1
            yield from run.run(self._seed(client, None, None))

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
        """getProfile BEFORE listing: mail arriving during the backfill is after this id.
        Gmail's history is global, so that id is where the nightly sync can start from once
        this backfill is done, whatever its window, unless `end` (an older nightly cursor,
        kept so nothing unread is skipped) is given."""
        profile = client.call("getProfile", client.users.getProfile(userId="me"))
        if window is None:
            window = Window(self.now() - timedelta(days=self.config.lookback_days), None)
        since, until = window_ms(window)
        return BackfillState(
            history_id=int(profile["historyId"]),
            since=since,
            until=until,
            end_history=end,
            round=secrets.token_hex(8),
        )

    def _state(self, cursor: str | None, window: Window | None) -> GmailState | None:
        """The saved state; a window re-read does not fail on one it cannot read (the
        window's own historyId replaces it), a sync does (connectors.cursor)."""
        if window is None:
            return CURSOR.decode(cursor, self.account)
        try:
            return CURSOR.decode(cursor, self.account)
        except FatalError:
            self._notes[
                "window re-read: the saved cursor could not be read; replaced by the "
                "historyId taken before this backfill"
            ] = 1
            return None

    def _window(
        self, client: GmailClient, run: Backfill, state: GmailState | None, window: Window
    ) -> Iterator[Batch]:
        since, until = window_ms(window)
        if isinstance(state, BackfillState):
            if (state.since, state.until) == (since, until):
                yield from run.run(state)  # this same window, interrupted: resume it
                return
            # Another backfill is under way (the account's first, or another window): it
            # stays the account's cursor and finishes on the next sync; this one is not kept.
            note = window_note(
                True,
                "another backfill of this account is under way and is what its cursor holds",
                "",
            )
            for number, batch in enumerate(run.run(self._seed(client, window, None))):
                batch.cursor = None
                if number == 0:
                    batch.notes[note] = 1
                yield batch
            return
        # A nightly cursor stays where it was (the backfill ends by handing it back); with
        # none, the historyId taken before this backfill becomes the nightly's start.
        end = state.history_id if state is not None else None
        if state is None:
            self._notes[
                "window re-read: the account had no cursor; the nightly sync starts "
                "from the historyId taken before this backfill"
            ] = 1
        yield from run.run(self._seed(client, window, end))

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        client = self._client()
        progress = RunProgress(self.account, self.progress_enabled, report=self.report)
        self._notes = {}
        try:
            state = self._state(cursor, window)
            aliases = self._aliases(client)
            me = self.me.with_aliases(aliases)
            run = Backfill(client, self.account, me, aliases, self.batch_size, progress)
            if window is not None:
                stream = self._window(client, run, state, window)
            elif isinstance(state, BackfillState):
                stream = run.run(state)
            elif state is None:
                stream = run.run(self._seed(client, None, None))
            else:
                stream = self._nightly(client, run, me, aliases, state, progress)
            for batch in stream:
                if self._notes:
                    batch.notes.update(self._notes)
                    self._notes = {}
                yield batch
            client.save_if_refreshed()
        finally:
            progress.finish(client.meter)
            self.last_summary = progress.summary()
            self.last_meter = client.meter
