"""What a sync tells the user: skips with their place and reason, and fallbacks it took."""

from __future__ import annotations

from pathlib import Path

from ingest.sync import sync_account_now
from models.config import config_from_dict
from models.store import Store

MBOX = """From a@b Mon Nov  2 10:00:00 2026
From: Ada <ada@example.com>
To: me@example.com
Received: from mx.example.com by mx.example.org; Mon, 2 Nov 2026 10:00:05 +0000
Message-ID: <no-date@example.com>
Subject: no Date header

hello

From a@b Mon Nov  2 11:00:00 2026
To: me@example.com
Message-ID: <no-sender@example.com>
Date: Mon, 2 Nov 2026 11:00:00 +0000

nobody sent this

From a@b Mon Nov  2 12:00:00 2026
From: me@example.com
To: Ada <ada@example.com>
Message-ID: <reply@example.com>
Date: Mon, 2 Nov 2026 12:00:00 +0000

reply
"""


def test_summary_counts_skips_and_fallbacks(tmp_path: Path, sqlite_url: str) -> None:
    box = tmp_path / "mail.mbox"
    box.write_text(MBOX, encoding="utf-8")
    config = config_from_dict(
        {
            "store": {"url": sqlite_url},
            "me": {"emails": ["me@example.com"]},
            "accounts": [{"name": "takeout", "kind": "mbox", "path": str(box)}],
        }
    )
    summary = sync_account_now(config, Store(sqlite_url), "takeout")
    assert (summary.seen, summary.inserted, summary.skipped) == (3, 2, 1)
    assert summary.skip_reasons == {"no usable From address": 1}
    assert summary.skip_examples[0].startswith("mail.mbox:")
    assert sum(n for note, n in summary.notes.items() if "date taken from" in note) == 1


def test_cli_prints_them() -> None:
    from cli.output import out, print_summaries

    with out.capture() as captured:
        print_summaries(
            [
                {
                    "account": "takeout",
                    "kind": "mbox",
                    "seen": 3,
                    "inserted": 2,
                    "updated": 0,
                    "removed": 0,
                    "cards": 0,
                    "skipped": 1,
                    "seconds": 0.1,
                    "skip_reasons": {"no usable From address": 1},
                    "skip_examples": ["mail.mbox:11: no usable From address"],
                    "notes": {"date taken from the received": 1},
                }
            ]
        )
    text = captured.get()
    assert "skipped 1 × no usable From address" in text
    assert "mail.mbox:11" in text and "1 × date taken from the received" in text
