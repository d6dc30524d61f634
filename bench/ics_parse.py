"""Benchmark: .ics connector throughput, and how the real-world corpus fares.

Generates a calendar of ~5,000 events (single meetings plus weekly/daily recurring series with
EXDATEs and moved occurrences, a mix of UTC, Olson and Windows TZIDs) in a temporary directory,
reads it through the connector and prints occurrences/s. A second run reads the same calendar
with one VEVENT left unclosed, which forces the per-VEVENT salvage path. Then every file in the
shared corpus is read and its status (parsed / partial / skipped) printed with the reasons.

    .venv/bin/python bench/ics_parse.py
    .venv/bin/python bench/ics_parse.py --events 20000
Nothing generated is kept.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.base import Me, Window  # noqa: E402
from connectors.ics.connector import IcsConnector  # noqa: E402
from connectors.ics.read import read_ics_file  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "ics"
ME = Me(frozenset({"me@example.com"}))
NOW = datetime(2026, 12, 1, tzinfo=UTC)
ZONES = ["Europe/Berlin", "America/New_York", "W. Europe Standard Time", "Pacific Standard Time"]


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S")


def _event(rng: random.Random, n: int) -> str:
    """One VEVENT; ~1 in 10 is a recurring series (with an EXDATE and a moved occurrence)."""
    when = datetime(2023, 1, 2, 8) + timedelta(days=rng.randrange(4 * 365), hours=rng.randrange(9))
    zone = rng.choice([*ZONES, "UTC"])
    start = f"DTSTART:{_stamp(when)}Z" if zone == "UTC" else f"DTSTART;TZID={zone}:{_stamp(when)}"
    guests = [
        f"ATTENDEE;CN=Friend {k};PARTSTAT={rng.choice(['ACCEPTED', 'DECLINED', 'TENTATIVE'])}:"
        f"mailto:friend{rng.randrange(3000)}@example.org"
        for k in range(rng.randrange(1, 6))
    ]
    if rng.random() < 0.1:
        guests.append("ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@example.org")
    lines = [
        "BEGIN:VEVENT",
        f"UID:bench-{n}@example.org",
        start,
        f"DTEND{start[7:-6]}{(when + timedelta(hours=1)).strftime('%H%M%S')}"
        + ("Z" if zone == "UTC" else ""),
        f"SUMMARY:Meeting {n}",
        "ORGANIZER;CN=Me:mailto:me@example.com",
        *guests,
    ]
    override = ""
    if rng.random() < 0.1:
        lines.append(rng.choice(["RRULE:FREQ=WEEKLY;COUNT=52", "RRULE:FREQ=DAILY;COUNT=60"]))
        skipped = when + timedelta(days=7)
        exdate = start.replace("DTSTART", "EXDATE").rsplit(":", 1)[0]
        lines.append(f"{exdate}:{_stamp(skipped)}" + ("Z" if zone == "UTC" else ""))
        moved = when + timedelta(days=14)
        rid = start.replace("DTSTART", "RECURRENCE-ID").rsplit(":", 1)[0]
        suffix = "Z" if zone == "UTC" else ""
        new = start.rsplit(":", 1)[0] + f":{_stamp(moved + timedelta(hours=2))}{suffix}"
        override = "\r\n".join(
            [
                "BEGIN:VEVENT",
                f"UID:bench-{n}@example.org",
                f"{rid}:{_stamp(moved)}{suffix}",
                new,
                f"SUMMARY:Meeting {n} (moved)",
                "ORGANIZER;CN=Me:mailto:me@example.com",
                *guests,
                "END:VEVENT",
                "",
            ]
        )
    lines.append("END:VEVENT")
    return "\r\n".join(lines) + "\r\n" + override


def generate(count: int, *, broken: bool = False) -> str:
    rng = random.Random(20260105)
    events = [_event(rng, n) for n in range(count)]
    if broken:
        events[count // 2] = events[count // 2].replace("END:VEVENT\r\n", "", 1)
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm bench//EN\r\n"
    return head + "".join(events) + "END:VCALENDAR\r\n"


def measure(folder: Path, label: str) -> None:
    window = Window(datetime(2023, 1, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))
    connector = IcsConnector("bench", folder, ME, batch_size=500, now=NOW)
    began = time.perf_counter()
    occurrences = skips = batches = 0
    for batch in connector.batches(None, window):
        batches += 1
        occurrences += len(batch.interactions)
        skips += len(batch.skipped)
    elapsed = time.perf_counter() - began
    events = sum(r.events for r in connector.results)
    print(
        f"{label}: {events} VEVENTs -> {occurrences} occurrences, {skips} skipped, "
        f"{batches} batches in {elapsed:.2f}s = {occurrences / elapsed:,.0f} occurrences/s"
    )


def corpus() -> None:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}")
        return
    window = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    files = sorted(CORPUS.glob("*.ics"))
    began = time.perf_counter()
    for path in files:
        result = read_ics_file(path, account="corpus", me=ME, start=window[0], end=window[1])
        statuses[result.status] += 1
        notes.update(result.notes)
        for skip in result.skips:
            reasons[skip.reason.split(" (")[0].split(":")[0]] += 1
        detail = "; ".join(f"{s.where.rsplit('/', 1)[-1]}: {s.reason}" for s in result.skips)
        print(f"  {result.status:8} {len(result.interactions):5} occ  {path.name}  {detail}")
    elapsed = time.perf_counter() - began
    print(f"corpus: {len(files)} files in {elapsed:.2f}s: {dict(statuses)}")
    print("skip reasons:", dict(reasons.most_common()))
    print("fallbacks and notes:", dict(notes.most_common()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = Path(tmp, "good"), Path(tmp, "bad")
        good.mkdir()
        bad.mkdir()
        (good / "bench.ics").write_text(generate(args.events), encoding="utf-8")
        (bad / "bench.ics").write_text(generate(args.events, broken=True), encoding="utf-8")
        measure(good, "whole-file parse")
        measure(bad, "salvage (one unclosed VEVENT)")
    corpus()


if __name__ == "__main__":
    main()
