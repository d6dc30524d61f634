"""The .ics cursor: which export content was read (its digest), over which window, how far.

Version 1 is `{"v": 1, "digest", "window": [start, end], "done", "skipped"}` (window bounds
`%Y-%m-%dT%H:%M:%SZ`); version 0 (before versions) had the same fields without "v", and
`skipped` could be missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.cursor import CursorFormat, Fields

STAMP = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class IcsCursor:
    """`done` occurrences and `skipped` skips of the stream of (digest, start, end) are stored."""

    digest: str
    start: datetime
    end: datetime
    done: int
    skipped: int = 0

    @property
    def position(self) -> int:
        """Items of the stream already emitted: occurrences and skips alike."""
        return self.done + self.skipped


def _dump(cursor: IcsCursor) -> Fields:
    return {
        "digest": cursor.digest,
        "window": [cursor.start.strftime(STAMP), cursor.end.strftime(STAMP)],
        "done": cursor.done,
        "skipped": cursor.skipped,
    }


def _load(fields: Fields) -> IcsCursor:
    start, end = (datetime.strptime(value, STAMP).replace(tzinfo=UTC) for value in fields["window"])
    return IcsCursor(
        str(fields["digest"]), start, end, int(fields["done"]), int(fields.get("skipped", 0))
    )


CURSOR = CursorFormat(source="ics", version=1, dump=_dump, load=_load)
