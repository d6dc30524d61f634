"""The one shape every connector has, and helpers they share.

A connector is built from an account's config plus what we know about "me", and turns a
saved cursor into a stream of `Batch`es. The cursor inside each batch is only valid once that
batch is stored; the store saves both in one transaction (see models.store).
A backfill is the same code with an explicit window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from models.records import Batch


@dataclass(frozen=True, slots=True)
class Window:
    """A backfill's bounds, both aware UTC; None means open on that side."""

    since: datetime | None = None
    until: datetime | None = None

    def contains(self, moment: datetime) -> bool:
        if self.since is not None and moment < self.since:
            return False
        return not (self.until is not None and moment >= self.until)


@dataclass(frozen=True, slots=True)
class Me:
    """Who "you" are: your addresses never become people and decide direction."""

    emails: frozenset[str] = field(default_factory=frozenset)
    phones: frozenset[str] = field(default_factory=frozenset)
    default_region: str = "US"
    store_subjects: bool = False

    def with_aliases(self, aliases: tuple[str, ...] | list[str]) -> Me:
        return Me(
            self.emails | frozenset(aliases), self.phones, self.default_region, self.store_subjects
        )


class Connector(Protocol):
    """What the sync flow needs from any source."""

    account: str

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        """Yield batches after `cursor`; with a window, re-read exactly that window.

        With a window, `cursor` is the account's saved cursor (maybe None, maybe one that
        cannot be read: a window re-read must not fail on it), and a batch's `cursor` is
        stored as the account's: set it only to a cursor the next sync can continue from
        (Gmail: the historyId taken before the backfill), else leave it None — the saved
        one stays — and say so once in the batch's `notes` (`window_note`)."""
        ...


def window_note(had_cursor: bool, why: str, next_sync: str) -> str:
    """The summary line of a window re-read that leaves the account's cursor alone."""
    if had_cursor:
        return f"window re-read: {why}; the account's cursor is kept, the next sync goes on from it"
    return f"window re-read: {why}; the account has no cursor yet, so the next sync {next_sync}"


def as_utc(value: datetime | date, default_tz: object = UTC) -> datetime:
    """Aware UTC for any date/datetime; dates become midnight, floating times get `default_tz`."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)  # type: ignore[arg-type]
    return value.astimezone(UTC)


def window_bounds(
    window: Window | None, now: datetime, lookback_days: int, lookahead_days: int
) -> tuple[datetime, datetime]:
    """The [start, end) a calendar source reads: the window if given, else the defaults."""
    start = now - timedelta(days=lookback_days)
    end = now + timedelta(days=lookahead_days)
    if window is not None:
        start = window.since or start
        end = window.until or end
    return start, end
