"""A report that must rebuild the contact table (a threshold changed) while a sync commits
batches never fails with SQLite's "database is locked" (issue 11 item 7)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from models.config import config_from_dict
from models.records import Batch
from models.report import build_report
from models.store import Store
from samples.generate import demo_config, generate


@pytest.mark.slow
def test_rebuilding_reports_while_a_sync_commits(tmp_path: Path) -> None:
    import tomllib
    from datetime import UTC, datetime

    from ingest.sync import sync_account_now

    sample = generate(tmp_path / "data", datetime.now(UTC).date())
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    data = tomllib.loads(demo_config(sample, url))
    config = config_from_dict(data)
    store = Store(url)
    for account in config.accounts:
        sync_account_now(config, store, account.name)
    stop = threading.Event()
    commits = [0]

    def writer() -> None:
        other = Store(url)
        while not stop.is_set():
            other.apply_batch("busy", "mbox", Batch(seen=1), config.rules)
            with other.write_session() as session:  # a batch that takes a while to commit
                session.execute(text("UPDATE sync_state SET skipped_total = skipped_total + 1"))
                time.sleep(0.05)
            commits[0] += 1
        other.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        sizes = []
        for group in (2, 5, 7):
            changed = config_from_dict({**data, "rules": {"max_email_group": group}})
            sizes.append(len(build_report(Store(url), changed).people))
    finally:
        stop.set()
        thread.join()
    assert commits[0] > 2 and all(sizes)
    store.close()
