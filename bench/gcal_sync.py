"""Bench: a 5-year Google Calendar of 8,000 events through the real connector and client.

The generated calendar (tests.fakes.google_calendar_data, the same generator the tests check
against) is served by the loopback Calendar v3 fake; the connector reads it with
google-api-python-client as it would read Google. Reports events.list requests per 1,000
events of the first (full) sync, the requests of an unchanged nightly sync per calendar, a
nightly sync after a few changes, wall times (with an optional simulated per-request latency)
and peak RSS. Everything lives in a temporary directory that is deleted afterwards; nothing
is written into the repository.

    .venv/bin/python bench/gcal_sync.py [--events 8000] [--years 5] [--latency 0.05]
                                        [--calendars primary] [--store]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from connectors.base import Me
from connectors.gcal.connector import GcalConnector
from connectors.gcal.settings import GcalAccount
from models.config import RulesConfig
from models.store import Store
from tests.fakes.google_calendar import FakeCalendar, attendee
from tests.fakes.google_calendar_data import ME, generate_calendar


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss

    def sample(self) -> None:
        self.peak = max(self.peak, self.proc.memory_info().rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument("--years", type=float, default=5)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--calendars", default="primary", help='comma-separated, or "*"')
    parser.add_argument("--store", action="store_true", help="also write into a SQLite store")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    rss = PeakRss()
    with tempfile.TemporaryDirectory() as tmp_name, FakeCalendar(now=now) as fake:
        tmp = Path(tmp_name)
        built = time.perf_counter()
        truth = generate_calendar(fake, years=args.years, events=args.events, seed=3, now=now)
        built = time.perf_counter() - built
        fake.primary.expanded()  # warm the fake's expansion cache: time the client, not it
        token = tmp / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        account = GcalAccount(
            name="bench",
            kind="gcal",
            token_file=str(token),
            api_endpoint=fake.root_url,
            calendars=[c.strip() for c in args.calendars.split(",")],
            lookback_days=int(args.years * 365) + 7,
        )
        fake.faults.delay = args.latency
        store = Store(f"sqlite:///{tmp / 'kw.db'}") if args.store else None

        def run(cursor: str | None) -> tuple[str | None, int, float]:
            connector = GcalConnector(account, Me(frozenset({ME})), now=lambda: now)
            started = time.perf_counter()
            records = 0
            for batch in connector.batches(cursor):
                records += len(batch.interactions) + len(batch.removed_keys)
                cursor = batch.cursor
                if store is not None:
                    store.apply_batch("bench", "gcal", batch, RulesConfig())
                rss.sample()
            return cursor, records, time.perf_counter() - started

        fake.stats.reset()
        cursor, records, first = run(None)
        first_stats = fake.stats.attempts.copy()
        listed = fake.stats.items["events.list"]
        calendars = len(json.loads(cursor or "{}").get("ids", []))
        fake.stats.reset()
        cursor, _, nightly = run(cursor)
        nightly_stats = fake.stats.attempts.copy()
        for n in range(5):  # a day of calendar life: new meetings, a deletion
            guests = [attendee(ME), attendee(f"new{n}@x.example")]
            fake.primary.add_event(f"new {n}", now - timedelta(hours=n + 1), attendees=guests)
        some = next(iter(fake.primary.events))
        fake.primary.delete(some)
        fake.stats.reset()
        cursor, changed, busy = run(cursor)
        busy_stats = fake.stats.attempts.copy()
        rss.sample()
        if store is not None:
            store.close()
    events = first_stats["events.list"]
    print(f"calendar generated    {truth.stored_events} stored events, {listed} listed instances "
          f"over {args.years:g} years ({built:.1f} s to generate)")  # fmt: skip
    stored = "yes" if store else "no"
    print(f"calendars read        {calendars} ({args.calendars}); page size 2500; "
          f"latency {args.latency * 1000:.0f} ms/request; store: {stored}")  # fmt: skip
    print(f"first sync            {first:.2f} s, {records} interactions, requests: "
          f"{dict(first_stats)}")  # fmt: skip
    print(f"events.list / 1k ev.  {1000 * events / max(listed, 1):.2f}")
    per_cal = nightly_stats["events.list"] / max(calendars, 1)
    print(f"nightly (no changes)  {nightly:.2f} s, requests: {dict(nightly_stats)} "
          f"= {per_cal:.1f} events.list per calendar")  # fmt: skip
    print(f"nightly (changes)     {busy:.2f} s, {changed} records, requests: {dict(busy_stats)}")
    print(f"peak RSS              {rss.peak / 2**20:.0f} MB (bench process incl. the fake)")


if __name__ == "__main__":
    main()
