"""Bench: our quota-planned Gmail backfill vs a naive one, on the loopback fake.

Generates a realistic mailbox in memory (nothing is written to disk), then for each
strategy reports quota units, units per counted contact, HTTP requests, messages/s with
quota off, wall time with quota on (on a virtual clock: the quota waits are skipped, not
slept, so hours of quota run in minutes) and peak RSS.

    .venv/bin/python bench/gmail_backfill.py [--messages 100000] [--costs 2026|legacy]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import Me
from connectors.gmail.client import GmailClient
from connectors.gmail.connector import GmailConnector
from connectors.gmail.convert import to_record
from connectors.gmail.settings import GmailAccount
from models.records import Interaction
from tests.fakes.gmail_server import (
    ALIAS,
    ME,
    Clock,
    FakeGmail,
    generate_mailbox,
    last_contact_table,
    plan_minimum,
)


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss

    def sample(self) -> None:
        self.peak = max(self.peak, self.proc.memory_info().rss)


def account(fake: FakeGmail, tmp: Path, costs: str, rate: float) -> GmailAccount:
    token = tmp / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info()))
    return GmailAccount(
        name="bench",
        kind="gmail",
        address=ME,
        api_endpoint=fake.endpoint,
        token_file=str(token),
        quota={"units_per_second": rate, "costs": costs},  # type: ignore[arg-type]
    )


def ours(fake: FakeGmail, acct: GmailAccount, rss: PeakRss) -> list[Interaction]:
    me = Me(frozenset({ME}))
    conn = GmailConnector(
        acct, me, batch_size=500, progress=False, clock=fake.clock.now, sleep=fake.clock.sleep
    )
    out: list[Interaction] = []
    for batch in conn.batches(None):
        out.extend(batch.interactions)
        rss.sample()
    return out


def naive(fake: FakeGmail, acct: GmailAccount, rss: PeakRss) -> list[Interaction]:
    """messages.list + one messages.get per message, format=full, no batching."""
    client = GmailClient(acct, clock=fake.clock.now, sleep=fake.clock.sleep)
    me = Me(frozenset({ME, ALIAS}))
    out: list[Interaction] = []
    token = None
    while True:
        page = client.call(
            "messages.list",
            client.users.messages().list(userId="me", maxResults=500, pageToken=token),
        )
        for ref in page.get("messages") or []:
            msg = client.call(
                "messages.get", client.users.messages().get(userId="me", id=ref["id"])
            )
            record = to_record(msg, "bench", me)
            if isinstance(record, Interaction):
                out.append(record)
        rss.sample()
        token = page.get("nextPageToken")
        if not token:
            return out


def counted(interactions: list[Interaction]) -> int:
    return sum(
        1
        for i in interactions
        if not (i.bulk or i.automated) and (i.direction == "inbound" or i.group_size <= 10)
    )


def run(strategy: str, messages: int, costs: str, rate: float, quota_on: bool) -> dict[str, Any]:
    clock = Clock(virtual=True)
    with (
        FakeGmail(
            costs=costs,
            units_per_second=rate if quota_on else None,
            clock=clock,
            scope="https://www.googleapis.com/auth/gmail.readonly",
        ) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        truth = generate_mailbox(fake, messages, drafts=True)
        acct = account(fake, Path(tmp), costs, rate if quota_on else 1e9)
        rss = PeakRss()
        started_virtual, started_real = clock.now(), time.monotonic()
        records = (ours if strategy == "ours" else naive)(fake, acct, rss)
        virtual, real = clock.now() - started_virtual, time.monotonic() - started_real
        table = last_contact_table(records)
        return {
            "model": plan_minimum(fake),
            "strategy": strategy,
            "units": fake.stats.units,
            "requests": fake.stats.http_requests,
            "calls": sum(fake.stats.calls.values()),
            "contacts": counted(records),
            "table_ok": table == truth.expected,
            "virtual_s": virtual,
            "real_s": real,
            "msgs": truth.messages,
            "rss_mb": rss.peak / 2**20,
            "rejected": dict(fake.stats.rejected),
        }


def backfill_then_nightly(messages: int, costs: str, since: str) -> dict[str, Any]:
    """`keepwarm backfill --since` then the next nightly `sync`, through the real sync loop
    and store: the quota units of both as a ratio of the backfill alone (item 1 of issue 11:
    the nightly used to re-read the whole mailbox)."""
    from datetime import UTC, datetime

    from ingest.sync import sync_account_now
    from models.config import config_from_dict
    from models.store import Store

    with (
        FakeGmail(costs=costs, units_per_second=None, clock=Clock(virtual=True)) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        generate_mailbox(fake, messages, drafts=True)
        token = Path(tmp) / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        url = f"sqlite:///{Path(tmp) / 'kw.db'}"
        account = {
            "name": "bench",
            "kind": "gmail",
            "address": ME,
            "api_endpoint": fake.endpoint,
            "token_file": str(token),
            "quota": {"units_per_second": 1e9, "costs": costs},
        }
        config = config_from_dict(
            {"store": {"url": url}, "me": {"emails": [ME]}, "accounts": [account]}
        )
        store = Store(url)
        start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        backfill = sync_account_now(config, store, "bench", (start, None))
        alone = fake.stats.units
        nightly = sync_account_now(config, store, "bench")
        store.close()
        return {
            "backfill_units": alone,
            "nightly_units": fake.stats.units - alone,
            "ratio": fake.stats.units / alone,
            "backfill_rows": backfill.inserted,
            "nightly_read": nightly.seen,
            "nightly_updated": nightly.updated,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--costs", choices=["2026", "legacy"], default="2026")
    parser.add_argument("--rate", type=float, default=None, help="units/s (default per costs)")
    parser.add_argument(
        "--then-nightly",
        metavar="SINCE",
        help="only: `backfill --since SINCE` then one nightly sync; their units as a ratio",
    )
    args = parser.parse_args()
    if args.then_nightly:
        got = backfill_then_nightly(args.messages, args.costs, args.then_nightly)
        print(
            f"backfill --since {args.then_nightly}: {got['backfill_units']:,} units, "
            f"{got['backfill_rows']:,} rows; first nightly: {got['nightly_units']:,} units, "
            f"{got['nightly_read']} read, {got['nightly_updated']} updated; "
            f"(backfill + nightly) / backfill = {got['ratio']:.4f} (goal <= 1.02)"
        )
        return
    rate = args.rate or (100.0 if args.costs == "2026" else 250.0)
    print(f"mailbox: {args.messages} messages, costs={args.costs}, quota {rate:.0f} units/s")
    results = {}
    for strategy in ("ours", "naive"):
        off = run(strategy, args.messages, args.costs, rate, quota_on=False)
        results[strategy] = off
        on = run(strategy, args.messages, args.costs, rate, quota_on=True)
        allowed = on["units"] / rate
        verdict = "OK" if off["table_ok"] and on["table_ok"] else "WRONG"
        peak = max(off["rss_mb"], on["rss_mb"])
        print(
            f"{strategy:>6}: units {off['units']:,}  units/contact "
            f"{off['units'] / max(off['contacts'], 1):.1f}  HTTP requests {off['requests']:,} "
            f"({off['calls']:,} calls)  table {verdict}\n"
            f"        quota off: {off['msgs'] / off['real_s']:,.0f} msgs/s ({off['real_s']:.1f} s)"
            f"  |  quota on: {on['virtual_s']:,.0f} s virtual (quota allows {allowed:,.0f} s →"
            f" {100 * allowed / on['virtual_s']:.1f} % of quota rate), {on['real_s']:.1f} s real,"
            f" 429s {on['rejected'].get('rate', 0)}  |  peak RSS {peak:.0f} MB"
        )
    ours_units, naive_units = results["ours"]["units"], results["naive"]["units"]
    model = results["ours"]["model"]
    print(
        f"ours/naive units: {ours_units / naive_units:.3f} (goal <= 0.25); plan cost-model "
        f"minimum {model:,} units, ours {100 * (ours_units - model) / model:+.1f} % (goal <= 5 %)"
    )


if __name__ == "__main__":
    main()
