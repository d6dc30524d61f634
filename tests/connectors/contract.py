"""The contract every connector passes (in the manner of vdirsyncer's storage tests).

Subclass `ConnectorContract` in a test module, implement `make_connector` (a connector over
a source with at least three batches' worth of good records), `make_connector_with_bad_record`
(the same source plus one malformed record) and `make_connector_without_access` (the same
source with its path, token or grant missing), and set `access_fix` to what the failure must
tell the user to do. Every test here then runs for that connector:

- records are aware UTC, named by source and account, keyed uniquely and stably;
- a resume from any batch's cursor has no gap and no duplicate; a finished cursor yields
  nothing new; a malformed record is skipped, counted and named;
- a missing path or grant is a FatalError naming the account and the fix;
- a backfill (a window) leaves a usable incremental cursor — or the connector says why not
  (`backfill_cursor_absent`);
- a sweep comes only after a complete read: everything its round's prefix and window hold in
  the stream was delivered under that round before it — also when the read was resumed;
- an unreadable cursor follows the codec's policy (connectors.cursor): a FatalError naming
  the account and `keepwarm backfill --account`, never a silent start-over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Connector, Window
from connectors.errors import FatalError
from models.records import Batch


def drain(batches: Iterator[Batch]) -> list[Batch]:
    return list(batches)


def keys_of(batches: list[Batch]) -> list[str]:
    return [i.key for b in batches for i in b.interactions] + [
        c.key for b in batches for c in b.cards
    ]


def check_sweeps(stream: list[Batch]) -> None:
    """Every sweep in `stream` follows a complete read of what it may delete."""
    for index, batch in enumerate(stream):
        sweep = batch.sweep
        if sweep is None:
            continue
        assert batch.round, "a sweep needs the round it closes"
        delivered = set(keys_of([b for b in stream[: index + 1] if b.round == batch.round]))
        for other in stream:
            for record in other.interactions:
                if not record.key.startswith(sweep.prefix):
                    continue
                if sweep.since is not None and record.occurred_at < sweep.since:
                    continue
                if sweep.until is not None and record.occurred_at >= sweep.until:
                    continue
                assert record.key in delivered, f"the sweep at batch {index} would delete it"
            for card in other.cards:
                if card.key.startswith(sweep.prefix):
                    assert card.key in delivered, f"the sweep at batch {index} would delete it"


class ConnectorContract:
    source: str = ""
    access_fix: str = ""  # what a missing path/grant's message must say (e.g. "keepwarm auth")
    backfill_cursor_absent: str = ""  # why a backfill leaves no cursor, if it does not
    backfill_window = Window(datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))

    def make_connector(self, tmp_path: Path) -> Connector:
        raise NotImplementedError

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
        raise NotImplementedError

    def make_connector_without_access(self, tmp_path: Path) -> Connector:
        raise NotImplementedError

    def test_times_are_aware_utc(self, tmp_path: Path) -> None:
        batches = drain(self.make_connector(tmp_path).batches(None))
        records = [i for b in batches for i in b.interactions]
        for record in records:
            assert record.occurred_at.tzinfo is not None
            assert record.occurred_at.utcoffset() == UTC.utcoffset(None)

    def test_records_name_source_and_account(self, tmp_path: Path) -> None:
        connector = self.make_connector(tmp_path)
        batches = drain(connector.batches(None))
        assert keys_of(batches), "the fixture must yield records"
        for b in batches:
            for i in b.interactions:
                assert i.source == self.source and i.account == connector.account
                assert i.key.startswith(f"{self.source}:{connector.account}:")
            for c in b.cards:
                assert c.source == self.source and c.account == connector.account

    def test_keys_unique_and_stable(self, tmp_path: Path) -> None:
        first = keys_of(drain(self.make_connector(tmp_path).batches(None)))
        second = keys_of(drain(self.make_connector(tmp_path).batches(None)))
        assert len(first) == len(set(first))
        assert first == second

    def test_resume_from_any_batch_has_no_gap_and_no_duplicate(self, tmp_path: Path) -> None:
        connector = self.make_connector(tmp_path)
        full = drain(connector.batches(None))
        assert len(full) >= 3, "the fixture must span at least three batches"
        for index, batch in enumerate(full[:-1]):
            assert batch.cursor is not None
            resumed = drain(self.make_connector(tmp_path).batches(batch.cursor))
            assert keys_of(resumed) == keys_of(full[index + 1 :])

    def test_finished_cursor_yields_nothing_new(self, tmp_path: Path) -> None:
        full = drain(self.make_connector(tmp_path).batches(None))
        last = [b.cursor for b in full if b.cursor is not None][-1]
        again = drain(self.make_connector(tmp_path).batches(last))
        assert keys_of(again) == []

    def test_bad_record_is_skipped_counted_and_named(self, tmp_path: Path) -> None:
        good = keys_of(drain(self.make_connector(tmp_path / "good").batches(None)))
        batches = drain(self.make_connector_with_bad_record(tmp_path / "bad").batches(None))
        skipped = [s for b in batches for s in b.skipped]
        assert len(skipped) >= 1
        assert all(s.where and s.reason for s in skipped)
        assert set(good) <= set(keys_of(batches))

    def test_missing_path_or_grant_is_fatal_and_names_the_fix(self, tmp_path: Path) -> None:
        assert self.access_fix, "say what the user must do when access is missing"
        connector = self.make_connector_without_access(tmp_path / "good")
        with pytest.raises(FatalError) as caught:
            drain(connector.batches(None))
        message = str(caught.value)
        assert f"'{connector.account}'" in message
        assert self.access_fix in message

    def test_backfill_leaves_a_usable_incremental_cursor(self, tmp_path: Path) -> None:
        backfill = drain(self.make_connector(tmp_path).batches(None, self.backfill_window))
        cursors = [b.cursor for b in backfill if b.cursor is not None]
        if not cursors:
            assert self.backfill_cursor_absent, "a backfill without a cursor must say why"
            return
        full = set(keys_of(drain(self.make_connector(tmp_path).batches(None))))
        after = keys_of(drain(self.make_connector(tmp_path).batches(cursors[-1])))
        assert set(after) <= full

    def test_sweep_only_after_a_complete_read(self, tmp_path: Path) -> None:
        full = drain(self.make_connector(tmp_path).batches(None))
        check_sweeps(full)
        for index, batch in enumerate(full[:-1]):
            resumed = drain(self.make_connector(tmp_path).batches(batch.cursor))
            check_sweeps(full[: index + 1] + resumed)

    def test_unreadable_cursor_is_a_named_fatal_error(self, tmp_path: Path) -> None:
        connector = self.make_connector(tmp_path)
        for bad in ("not json", "[1, 2]", '{"v": 999}'):
            with pytest.raises(FatalError) as caught:
                drain(self.make_connector(tmp_path).batches(bad))
            message = str(caught.value)
            assert f"'{connector.account}'" in message, bad
            assert f"keepwarm backfill --account {connector.account}" in message, bad

    @pytest.fixture(autouse=True)
    def _isolated(self, tmp_path: Path) -> None:
        (tmp_path / "good").mkdir()
        (tmp_path / "bad").mkdir()
