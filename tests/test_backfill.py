"""What a backfill does (issue 11 item 1, issue 10 item 9), through the sync loop every command
uses (ingest.sync): without a window a full re-read from scratch whose cursor is kept; with a
window a re-read of it that hands the nightly sync a cursor only when one is valid (Gmail's
historyId taken before it), and says so where it cannot; unchanged rows are not "updated"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from ingest.sync import SyncSummary, sync_account_now
from models.config import Config, config_from_dict
from models.schema import InteractionRow, SyncStateRow
from models.store import Store
from tests.fakes.gmail_server import ME, Clock, FakeGmail, generate_mailbox

MBOX = """From a@b Mon Nov  2 10:00:00 2026
From: Ada <ada@example.com>
To: me@example.com
Message-ID: <one@example.com>
Date: Mon, 2 Nov 2025 10:00:00 +0000

hello

From a@b Mon Nov  2 12:00:00 2026
From: me@example.com
To: Ada <ada@example.com>
Message-ID: <two@example.com>
Date: Mon, 2 Nov 2026 12:00:00 +0000

reply
"""


def config(store_url: str, *accounts: dict[str, Any]) -> Config:
    return config_from_dict(
        {"store": {"url": store_url}, "me": {"emails": [ME]}, "accounts": list(accounts)}
    )


@pytest.fixture
def fake() -> Iterator[FakeGmail]:
    with FakeGmail(units_per_second=None, clock=Clock(virtual=True)) as server:
        yield server


def gmail_account(fake: FakeGmail, tmp_path: Path) -> dict[str, Any]:
    token = tmp_path / "token.json"
    token.write_text(json.dumps(fake.authorized_user_info()))
    return {
        "name": "personal",
        "kind": "gmail",
        "address": ME,
        "api_endpoint": fake.endpoint,
        "token_file": str(token),
        "quota": {"units_per_second": 1e7},
    }


def run(cfg: Config, store: Store, name: str, **kw: Any) -> SyncSummary:
    return sync_account_now(cfg, store, name, **kw)


def since(day: str) -> tuple[datetime, None]:
    return datetime.fromisoformat(day).replace(tzinfo=UTC), None


def test_gmail_window_backfill_hands_its_history_id_to_the_nightly(
    fake: FakeGmail, tmp_path: Path, sqlite_url: str
) -> None:
    generate_mailbox(fake, 3000, seed=5)
    cfg = config(sqlite_url, gmail_account(fake, tmp_path))
    store = Store(sqlite_url)
    backfill = run(cfg, store, "personal", window=since("2000-01-01"))
    spent = fake.stats.units
    assert backfill.mode == "backfill" and backfill.inserted > 1000
    assert any("nightly sync starts from the historyId" in n for n in backfill.notes)
    nightly = run(cfg, store, "personal")
    assert (nightly.seen, nightly.inserted, nightly.updated) == (0, 0, 0)
    ratio = fake.stats.units / spent
    assert ratio <= 1.02, (spent, fake.stats.units)
    again = run(cfg, store, "personal", window=since("2000-01-01"))
    assert (again.inserted, again.updated, again.removed) == (0, 0, 0), again
    store.close()


def test_a_window_backfill_keeps_a_nightly_cursor_and_resyncs_nothing(
    fake: FakeGmail, tmp_path: Path, sqlite_url: str
) -> None:
    generate_mailbox(fake, 400, seed=6)
    cfg = config(sqlite_url, gmail_account(fake, tmp_path))
    store = Store(sqlite_url)
    run(cfg, store, "personal")
    state = store.sync_state("personal")
    assert state is not None and '"history_id"' in (state.cursor or "")
    fake.mailbox.add(  # mail arriving after the nightly, before the backfill
        [("From", "Neu <neu@example.net>"), ("To", ME), ("Date", "Mon, 2 Nov 2026 10:00:00 +0000")],
        1_790_000_000_000,
        ["INBOX", "CATEGORY_PERSONAL"],
    )
    window = run(cfg, store, "personal", window=since("2026-01-01"))
    assert window.updated == 0
    after = run(cfg, store, "personal")  # from the old nightly cursor: sees the new mail
    assert after.seen == 1 and after.updated == 0
    store.close()


def test_gmail_expired_history_sweeps_what_was_deleted_in_the_gap(
    fake: FakeGmail, tmp_path: Path, sqlite_url: str
) -> None:
    generate_mailbox(fake, 300, seed=7)
    cfg = config(sqlite_url, gmail_account(fake, tmp_path))
    store = Store(sqlite_url)
    run(cfg, store, "personal")
    with store.session() as session:
        counting = session.scalars(
            select(InteractionRow.key).where(
                InteractionRow.bulk.is_(False),
                InteractionRow.automated.is_(False),
                InteractionRow.newsletter.is_(False),
            )
        ).all()
        noise = session.scalar(
            select(InteractionRow.key).where(InteractionRow.newsletter.is_(True)).limit(1)
        )
    gone = [key.rsplit(":", 1)[1] for key in counting[:3]]
    for mid in gone:
        fake.mailbox.delete(mid)
    fake.mailbox.expire_history()  # the deletions' history is lost (404)
    summary = run(cfg, store, "personal")
    assert summary.removed == 3, summary
    assert any("history expired" in note for note in summary.notes)
    with store.session() as session:
        left = set(session.scalars(select(InteractionRow.key)))
    assert not {f"gmail:personal:{mid}" for mid in gone} & left
    assert noise is None or noise in left  # noise the backfill never reads is not swept
    store.close()


def test_backfill_without_window_rereads_from_scratch_and_fixes_a_bad_cursor(
    tmp_path: Path, sqlite_url: str
) -> None:
    box = tmp_path / "mail.mbox"
    box.write_text(MBOX, encoding="utf-8")
    cfg = config(sqlite_url, {"name": "takeout", "kind": "mbox", "path": str(box)})
    store = Store(sqlite_url)
    first = run(cfg, store, "takeout")
    assert (first.seen, first.inserted) == (2, 2)
    with store.session() as session:
        session.execute(update(SyncStateRow).values(cursor="{not json"))
    with pytest.raises(Exception, match="keepwarm backfill --account takeout"):
        run(cfg, store, "takeout")
    full = run(cfg, store, "takeout", backfill=True)
    assert (full.mode, full.window) == ("backfill", "")
    assert (full.seen, full.inserted, full.updated, full.removed) == (2, 0, 0, 0)
    after = run(cfg, store, "takeout")  # the backfill's cursor was kept
    assert (after.seen, after.inserted, after.updated) == (0, 0, 0)
    store.close()


def test_a_file_window_backfill_keeps_the_cursor_and_says_so(
    tmp_path: Path, sqlite_url: str
) -> None:
    box = tmp_path / "mail.mbox"
    box.write_text(MBOX, encoding="utf-8")
    cfg = config(sqlite_url, {"name": "takeout", "kind": "mbox", "path": str(box)})
    store = Store(sqlite_url)
    window = run(cfg, store, "takeout", window=since("2026-01-01"))
    assert (window.seen, window.inserted) == (2, 1)
    assert window.window == "since 2026-01-01"
    assert any("next sync reads the whole export" in note for note in window.notes)
    assert store.sync_state("takeout") is None or store.sync_state("takeout").cursor is None  # type: ignore[union-attr]
    rest = run(cfg, store, "takeout")
    assert (rest.inserted, rest.updated) == (1, 0)
    again = run(cfg, store, "takeout", window=since("2026-01-01"))
    assert (again.inserted, again.updated) == (0, 0)
    assert any("cursor is kept" in note for note in again.notes)
    assert run(cfg, store, "takeout").seen == 0
    store.close()


def test_cli_backfill_table_is_titled_backfill_with_its_window() -> None:
    from cli.output import out, print_summaries

    row = {
        "account": "takeout",
        "kind": "mbox",
        "seen": 2,
        "inserted": 0,
        "updated": 0,
        "removed": 0,
        "cards": 0,
        "skipped": 0,
        "seconds": 0.1,
        "mode": "backfill",
        "window": "since 2026-01-01",
    }
    with out.capture() as captured:
        print_summaries([row])
    assert "backfill (since 2026-01-01)" in captured.get()
    with out.capture() as captured:
        print_summaries([{**row, "window": ""}])
    assert "backfill (whole account, from scratch)" in captured.get()


def test_cli_backfill_refuses_a_window_that_makes_no_sense(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
        f'[[accounts]]\nname = "mail"\nkind = "mbox"\npath = "{tmp_path / "mail.mbox"}"\n'
    )
    runner = CliRunner()
    args = ["backfill", "--account", "mail", "--config", str(path)]
    result = runner.invoke(app, [*args, "--since", "2026-02-01", "--until", "2026-01-01"])
    assert result.exit_code == 2 and "--since must be before --until" in result.output
    future = (date.today() + timedelta(days=3)).isoformat()
    result = runner.invoke(app, [*args, "--since", future])
    assert result.exit_code == 2 and "is in the future" in result.output
