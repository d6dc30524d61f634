"""The contract every connector passes (in the manner of vdirsyncer's storage tests).

Subclass `ConnectorContract` in a test module, implement `make_connector` (a connector over
a source with at least three batches' worth of good records) and `make_connector_with_bad_record`
(the same source plus one malformed record). Every test here then runs for that connector.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest

from connectors.base import Connector
from models.records import Batch


def drain(batches: Iterator[Batch]) -> list[Batch]:
    return list(batches)


def keys_of(batches: list[Batch]) -> list[str]:
    return [i.key for b in batches for i in b.interactions] + [
        c.key for b in batches for c in b.cards
    ]


class ConnectorContract:
    source: str = ""

    def make_connector(self, tmp_path: Path) -> Connector:
        raise NotImplementedError

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
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

    @pytest.fixture(autouse=True)
    def _isolated(self, tmp_path: Path) -> None:
        (tmp_path / "good").mkdir()
        (tmp_path / "bad").mkdir()
