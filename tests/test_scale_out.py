"""A firm's mailboxes fan out: 20 accounts synced concurrently into one PostgreSQL store through
a local Dask cluster give exactly what a sequential run gives (no lost or duplicated people)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from delivery.render import render
from ingest.sync import sync_account_now
from models.config import load_config
from models.report import build_report
from models.store import Store

ACCOUNTS = 20
AS_OF = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def write_mailboxes(root: Path) -> list[Path]:
    """Each employee mails a few colleagues and clients; many addresses are shared."""
    rng = random.Random(11)
    shared = [f"client{i}@customer.example" for i in range(25)]
    paths = []
    for n in range(ACCOUNTS):
        me = f"employee{n}@firm.example"
        lines: list[str] = []
        for m in range(40):
            when = NOW - timedelta(days=rng.randrange(1, 300), minutes=rng.randrange(0, 600))
            other = rng.choice(shared)
            sent = rng.random() < 0.6
            sender, to = (me, other) if sent else (other, me)
            lines += [
                f"From x@y {when:%a %b %d %H:%M:%S %Y}",
                f"From: {sender}",
                f"To: {to}",
                f"Date: {format_datetime(when)}",
                f"Message-ID: <{n}.{m}@firm.example>",
                "Subject: hello",
                "",
                "body",
                "",
            ]
        path = root / f"box{n}.mbox"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def write_config(root: Path, store_url: str, boxes: list[Path]) -> Path:
    accounts = "".join(
        f'[[accounts]]\nname = "box{n}"\nkind = "mbox"\npath = "{p}"\n' for n, p in enumerate(boxes)
    )
    me = ", ".join(f'"employee{n}@firm.example"' for n in range(ACCOUNTS))
    path = root / f"config-{abs(hash(store_url))}.toml"
    path.write_text(f'[store]\nurl = "{store_url}"\n[me]\nemails = [{me}]\n{accounts}')
    return path


def comparable(config_path: Path) -> list[dict[str, Any]]:
    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        people = json.loads(render(build_report(store, config, AS_OF, now=NOW), "json"))["people"]
    finally:
        store.close()
    for person in people:
        person.pop("id")
        person["emails"].sort()
    return sorted(people, key=lambda p: p["emails"])


@pytest.mark.usefixtures("prefect_harness")
def test_twenty_accounts_through_dask_equal_a_sequential_run(
    tmp_path: Path, sqlite_url: str
) -> None:
    from prefect_dask import DaskTaskRunner

    from flows.sync import sync_all
    from tests.conftest import _pg_database

    boxes = write_mailboxes(tmp_path)
    sequential = write_config(tmp_path, sqlite_url, boxes)
    config = load_config(sequential)
    store = Store(config.store.url)
    for account in config.accounts:
        sync_account_now(config, store, account.name)
    store.close()

    pg = _pg_database()
    pg_url = next(pg)
    try:
        concurrent = write_config(tmp_path, pg_url, boxes)
        runner = DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "threads_per_worker": 5, "processes": False}
        )
        results = sync_all.with_options(task_runner=runner)(str(concurrent))
        assert len(results) == ACCOUNTS and all(r["seen"] == 40 for r in results)
        assert comparable(concurrent) == comparable(sequential)
    finally:
        next(pg, None)
