"""How moments are stored: naive UTC (SQLite has no time zones; PostgreSQL columns follow suit),
read back as aware UTC. Below models.store so everything that writes rows can share it."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_naive(moment: datetime) -> datetime:
    """Stored form: naive UTC (SQLite has no time zones; PostgreSQL columns follow suit)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
