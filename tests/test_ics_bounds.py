"""A few hundred bytes of calendar cannot take the machine (issue 11 item 10): recurrence
expansion is bounded in occurrences, time and memory, and what was cut is named."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Me
from connectors.ics.read import MAX_OCCURRENCES, read_ics_file

NOW = datetime(2026, 11, 20, tzinfo=UTC)
START, END = datetime(2021, 11, 20, tzinfo=UTC), datetime(2027, 2, 18, tzinfo=UTC)


def event(rule: str, dtstart: str = "20200101T090000Z") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@example.com\r\n"
        f"DTSTART:{dtstart}\r\nDURATION:PT1M\r\nRRULE:{rule}\r\nSUMMARY:hi\r\n"
        "ORGANIZER:mailto:spam@example.net\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com"
        "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MINUTELY",
        "FREQ=SECONDLY",
        "FREQ=HOURLY;INTERVAL=1",
        "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11;BYMINUTE=0,10,20,30,40,50",
        "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYSECOND=0,1,2,3,4,5",
    ],
)
def test_sub_daily_series_count_once_with_a_named_skip(rule: str, tmp_path: Path) -> None:
    path = tmp_path / "spam.ics"
    path.write_text(event(rule), encoding="utf-8")
    assert path.stat().st_size < 400
    tracemalloc.start()
    started = time.perf_counter()
    result = read_ics_file(
        path, account="cal", me=Me(frozenset({"me@example.com"})), start=START, end=END
    )
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 5 and peak < 20 * 2**20, (seconds, peak)
    assert len(result.interactions) <= 1
    assert any("sub-daily series is not expanded" in s.reason for s in result.skips)
    assert all(s.where.startswith(f"{path}:") for s in result.skips)


def test_a_long_series_stops_at_the_cap_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "long.ics"
    far = datetime(2021, 11, 20, tzinfo=UTC)
    path.write_text(event("FREQ=DAILY", "20211120T090000Z"), encoding="utf-8")
    result = read_ics_file(
        path,
        account="cal",
        me=Me(frozenset({"me@example.com"})),
        start=far,
        end=datetime(2050, 1, 1, tzinfo=UTC),
    )
    assert len(result.interactions) == MAX_OCCURRENCES
    assert any(f"more than {MAX_OCCURRENCES}" in s.reason for s in result.skips)
    daily = read_ics_file(
        path, account="cal", me=Me(frozenset({"me@example.com"})), start=START, end=NOW
    )
    assert len(daily.interactions) == (NOW - START).days and not daily.skips
