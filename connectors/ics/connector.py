""".ics calendar exports: every meeting occurrence in the sync window becomes an Interaction.

Files are read in sorted order and each file's occurrences in (start, UID) order, so the stream
is deterministic and the cursor can simply count what was emitted. The cursor
(connectors.ics.cursor) holds the digest, the window and that count: the digest covers every
file's name and bytes, so any change re-reads everything (the store's upsert makes that
idempotent). A file export carries no tombstones, so a read of the whole window ends with a
sweep: occurrences of that window it no longer delivered are removed.

The window slides with "now"; a cursor whose digest matches and whose window is within a day
of the current one keeps its own window, so a resumed sync counts over the same stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.base import Me, Window, window_bounds, window_note
from connectors.common.files import check_export, content_digest, export_files, nothing_found
from connectors.ics.cursor import CURSOR, IcsCursor
from connectors.ics.read import FileResult, read_ics_file
from models.records import Batch, Interaction, Skip, Sweep

_SAME_WINDOW = timedelta(days=1)


class IcsConnector:
    """Reads an .ics file or a folder of them (recursive)."""

    def __init__(
        self,
        account: str,
        path: Path,
        me: Me,
        *,
        lookback_days: int = 5 * 365,
        lookahead_days: int = 90,
        batch_size: int = 500,
        now: datetime | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.account = account
        self.path = path
        self.me = me
        self.lookback_days = lookback_days
        self.lookahead_days = lookahead_days
        self.batch_size = batch_size
        self.now = now or datetime.now(UTC)
        self.results: list[FileResult] = []  # per file, filled while batches are read

    def files(self) -> list[tuple[str, Path]]:
        found = self.path.exists() and export_files(
            self.path, lambda path: path.suffix.lower() == ".ics"
        )
        files = found or []
        check_export(self.account, self.path, files, "calendar (.ics)")
        return files

    def digest(self, files: list[tuple[str, Path]]) -> str:
        return content_digest(files)

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        files = self.files()
        digest = self.digest(files)
        start, end = (
            moment.astimezone(UTC).replace(microsecond=0)
            for moment in window_bounds(window, self.now, self.lookback_days, self.lookahead_days)
        )
        position = 0
        resumed = False
        saved = CURSOR.decode(cursor, self.account) if window is None else None
        if (
            saved is not None
            and saved.digest == digest
            and abs(saved.start - start) < _SAME_WINDOW
            and abs(saved.end - end) < _SAME_WINDOW
        ):
            start, end, position, resumed = saved.start, saved.end, saved.position, True
        for batch in self._batches(files, digest, start, end, position, resumed):
            if window is not None:
                batch.cursor = None  # bound to the window: the account's cursor stays
                if batch.sweep is not None:
                    note = window_note(
                        cursor is not None,
                        "its cursor is bound to the window it read",
                        "reads the export's default window once",
                    )
                    batch.notes[note] = 1
            yield batch

    def _batches(
        self,
        files: list[tuple[str, Path]],
        digest: str,
        start: datetime,
        end: datetime,
        position: int,
        resumed: bool,
    ) -> Iterator[Batch]:
        done = skipped = 0
        batch = Batch()
        yielded = False

        round_id = f"{digest[:16]}:{start:%Y%m%dT%H%M%S}:{end:%Y%m%dT%H%M%S}"

        def close() -> Batch:
            batch.cursor = CURSOR.encode(IcsCursor(digest, start, end, done, skipped))
            batch.seen = len(batch.interactions) + len(batch.skipped)
            batch.round = round_id
            return batch

        for index, item in enumerate(self._stream(files, start, end)):
            if isinstance(item, Interaction):
                done += 1
            else:
                skipped += 1
            if index < position:
                continue
            if isinstance(item, Interaction):
                batch.interactions.append(item)
            else:
                batch.skipped.append(item)
            if len(batch.interactions) + len(batch.skipped) >= self.batch_size:
                yield close()
                yielded = True
                batch = Batch()
        if not resumed and not any(result.events for result in self.results):
            skips = [skip for result in self.results for skip in result.skips]
            raise nothing_found(self.account, self.path, "calendar events", skips)
        if batch.interactions or batch.skipped or yielded or not resumed:
            # The read of this window is complete: occurrences it no longer has are gone.
            last = close()
            last.sweep = Sweep(f"ics:{self.account}:", start, end)
            for result in self.results:
                for note, count in result.notes.items():
                    last.notes[note] = last.notes.get(note, 0) + count
            yield last

    def _stream(
        self, files: list[tuple[str, Path]], start: datetime, end: datetime
    ) -> Iterator[Interaction | Skip]:
        """Every occurrence and skip, in file order; a key seen in an earlier file wins."""
        self.results = []
        keys: set[str] = set()
        for _rel, file in files:
            result = read_ics_file(file, account=self.account, me=self.me, start=start, end=end)
            self.results.append(result)
            yield from result.skips
            for interaction in result.interactions:
                if interaction.key in keys:
                    result.notes["same UID and start as in an earlier file: dropped"] += 1
                    continue
                keys.add(interaction.key)
                yield interaction
