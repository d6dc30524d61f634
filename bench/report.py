"""Time the report and its digest over a large store (1,000,000 interactions, 20,000 people).

    python bench/report.py [--interactions N] [--people N] [--url URL]

Fills a fresh store with bulk inserts (not through connectors: this measures the report),
derives the contact table from them (timed: it is also what a change of the contact
thresholds costs), then times build_report (the table and the digest, which reads a
delivery ledger of a month of daily digests) and prints the best and median.
Quote ratios or per-item costs; machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from models.config import config_from_dict
from models.report import build_report
from models.schema import (
    CardRow,
    DigestItemRow,
    IdentityRow,
    InteractionRow,
    ParticipantRow,
    PersonRow,
)
from models.store import Store

AS_OF = date(2026, 11, 25)


def fill(store: Store, interactions: int, people: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime(2026, 11, 25, tzinfo=UTC).replace(tzinfo=None)
    emails = [f"person{i}@example.com" for i in range(people)]
    with store.session() as session:
        person_rows, identity_rows, card_rows = [], [], []
        for i, email in enumerate(emails):
            pid = str(uuid.UUID(int=rng.getrandbits(128)))
            person_rows.append(
                {"id": pid, "display_name": f"Person {i}", "name_source": "card", "created_at": now}
            )
            identity_rows.append(
                {
                    "kind": "email",
                    "value": email,
                    "person_id": pid,
                    "source": "bench",
                    "pinned": False,
                }
            )
            if i % 3 == 0:
                card_rows.append(
                    {
                        "key": f"vcard:book:{i}",
                        "source": "vcard",
                        "account": "book",
                        "person_id": pid,
                        "name": f"Person {i}",
                        "emails": [email],
                        "phones": [],
                        "categories": [rng.choice(["close", "friends", "network", ""])],
                        "birthday": None,
                        "is_org": False,
                        "origin": "bench",
                    }
                )
        session.execute(insert(PersonRow), person_rows)
        session.execute(insert(IdentityRow), identity_rows)
        session.execute(insert(CardRow), card_rows)
    chunk = 50_000
    # A few people get most contact, as in a real mailbox.
    cumulative = list(itertools.accumulate(1 / (1 + i) ** 0.8 for i in range(people)))
    for start in range(0, interactions, chunk):
        rows, parts = [], []
        for n in range(start, min(start + chunk, interactions)):
            kind = rng.random()
            channel = "meeting" if kind < 0.15 else "email"
            direction = "mutual" if channel == "meeting" else rng.choice(["outbound", "inbound"])
            rows.append(
                {
                    "id": n + 1,
                    "key": f"bench:acct:{n}",
                    "source": "gmail" if channel == "email" else "outlook",
                    "account": "acct",
                    "occurred_at": now - timedelta(minutes=rng.randrange(0, 5 * 365 * 24 * 60)),
                    "channel": channel,
                    "direction": direction,
                    "group_size": rng.choice([1, 1, 1, 2, 3, 12]),
                    "bulk": rng.random() < 0.3,
                    "automated": False,
                    "cancelled": False,
                    "declined": False,
                    "subject": None,
                    "thread_id": None,
                    "to_me": direction == "inbound" and rng.random() < 0.8,
                    "newsletter": direction == "inbound" and rng.random() < 0.05,
                }
            )
            who = min(bisect.bisect(cumulative, rng.random() * cumulative[-1]), people - 1)
            role = (
                "from" if direction == "inbound" else ("attendee" if channel == "meeting" else "to")
            )
            parts.append(
                {
                    "interaction_id": n + 1,
                    "kind": "email",
                    "value": emails[who],
                    "role": role,
                    "name": None,
                    "declined": False,
                }
            )
        with store.session() as session:
            session.execute(insert(InteractionRow), rows)
            session.execute(insert(ParticipantRow), parts)
    # A month of delivered digests: the rotation reads them.
    ids = [row["id"] for row in person_rows]
    with store.session() as session:
        session.execute(
            insert(DigestItemRow),
            [
                {"report_date": AS_OF - timedelta(days=d), "person_id": pid, "kind": "drifting"}
                for d in range(1, 31)
                for pid in rng.sample(ids, 7)
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="store URL (default: a temp SQLite file)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="the store at --url is already filled; keep it"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store(url)
        config = config_from_dict(
            {
                "store": {"url": url},
                "cadence": {"tiers": {"close": 30, "friends": 90, "network": 180}},
            }
        )
        if not args.reuse:
            started = time.perf_counter()
            fill(store, args.interactions, args.people)
            print(
                f"filled {args.interactions:,} interactions / {args.people:,} people "
                f"in {time.perf_counter() - started:.1f}s ({store.engine.dialect.name})"
            )
            started = time.perf_counter()
            store.rebuild_contacts(config.rules)
            print(f"derived the contact table in {time.perf_counter() - started:.1f}s")
            if store.engine.dialect.name == "postgresql":
                # What autovacuum does a minute after a bulk load: planner statistics and
                # the visibility map that lets the report's probes read indexes only.
                with store.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                ) as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE")
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = build_report(store, config, AS_OF)
            times.append(time.perf_counter() - started)
        kinds = Counter(item.kind for item in report.digest.items)
        print(
            f"build_report (table + digest): best {min(times):.2f}s, median "
            f"{statistics.median(times):.2f}s over {args.runs} runs; {len(report.people):,} "
            f"people in the report; {min(times) / args.interactions * 1e6:.2f} µs per "
            f"interaction; digest {dict(kinds)}"
        )
        store.close()


if __name__ == "__main__":
    main()
