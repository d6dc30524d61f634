"""Bench: a 5-year Outlook calendar through the real connector, msal and HTTPS fake.

Reports Graph requests per 1,000 events, wall time with a simulated per-request latency,
and peak RSS. Everything lives in a temporary directory and is deleted afterwards; nothing
generated is written into the repository.

    .venv/bin/python bench/outlook_sync.py [--events 8000] [--latency 0.05] [--page 500]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trustme

from connectors.base import Me
from connectors.outlook.auth import run_auth
from connectors.outlook.connector import OutlookConnector
from connectors.outlook.settings import OutlookAccount
from models.config import RulesConfig
from models.store import Store
from tests.fakes.authority import FakeAuthority, write_ca
from tests.fakes.graph_server import FakeGraph, SyntheticCalendar

OWNER = "ada@firm.example"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--store", action="store_true", help="also write into a SQLite store")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ca = trustme.CA()
        os.environ["REQUESTS_CA_BUNDLE"] = str(write_ca(ca, tmp / "ca.pem"))
        authority = FakeAuthority(ca)
        authority.add_user(OWNER)
        graph = FakeGraph(authority, ca)
        cal = SyntheticCalendar(graph, OWNER, now)
        series = max(1, args.events // 100)  # ~25% of events are series occurrences
        cal.generate(series=series, occurrences=25, singles=args.events - series * 25)
        events = len(cal.specs)
        account = OutlookAccount(
            name="bench",
            kind="outlook",
            authority=authority.authority,
            graph_endpoint=graph.endpoint,
            client_id="bench-app",
            token_cache=str(tmp / "bench.msal.json"),
        )
        run_auth(account, echo=lambda _m: None)
        graph.latency = args.latency
        store = Store(f"sqlite:///{tmp / 'kw.db'}") if args.store else None
        connector = OutlookConnector(account, Me(emails=frozenset({OWNER})), args.page)
        started = time.perf_counter()
        records = 0
        cursor = None
        for batch in connector.batches(None):
            records += len(batch.interactions)
            cursor = batch.cursor
            if store is not None:
                store.apply_batch("bench", "outlook", batch, RulesConfig())
        first = time.perf_counter() - started
        first_requests = graph.requests
        started = time.perf_counter()
        list(connector.batches(cursor))
        nightly = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        graph.close()
        authority.close()
    print(f"events generated      {events} (incl. {series} series x 25 occurrences)")
    print(f"interactions yielded  {records}")
    print(f"page size             {args.page}; latency {args.latency * 1000:.0f} ms/request")
    print(f"first sync            {first:.2f} s, {first_requests} Graph requests")
    print(f"requests / 1k events  {first_requests * 1000 / events:.1f}")
    print(f"nightly (no changes)  {nightly:.2f} s, {graph.requests - first_requests} requests")
    print(f"peak RSS              {peak_mb:.0f} MB (bench process incl. fake servers)")
    print(f"peak in flight        {graph.peak}")


if __name__ == "__main__":
    main()
