"""`keepwarm people …` (issue 8 item 2, issue 10 items 2 and 3): answers back, corrections that
say what they changed, refuse what makes no sense, and can be undone; list and show tell the
status, tier and cadence the report computes, the history and the user's own actions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.records import Batch, ContactCard
from models.store import Store
from tests.builders import config, meeting, received, sent

runner = CliRunner()


def ben_card() -> ContactCard:
    return ContactCard(
        key="vcard:book:ben",
        source="vcard",
        account="book",
        name="Ben Carter",
        emails=("ben@example.com",),
        phones=("+14155550100",),
        categories=("close",),
    )


def batches() -> list[Batch]:
    jonas = ContactCard(
        key="vcard:book:jonas",
        source="vcard",
        account="book",
        name="Jonas Berg",
        emails=("jonas@example.com",),
        categories=("close",),
        origin="contacts.vcf:31",
    )
    daniel = ContactCard(
        key="vcard:book:daniel",
        source="vcard",
        account="book",
        name="Daniel Kim",
        emails=("daniel@example.com",),
    )
    return [
        Batch(cards=[ben_card(), jonas, daniel]),
        Batch(
            interactions=[
                sent("1", "2026-08-01T10:00:00", "ben@example.com"),
                sent("2", "2026-10-01T10:00:00", "daniel@example.com"),
                sent("3", "2026-06-01T10:00:00", "jonas@example.com"),
                received("4", "2026-06-03T10:00:00", "jonas@example.com", to_me=True),
                meeting("5", "2026-06-10T10:00:00", "jonas@example.com"),
            ]
        ),
    ]


@pytest.fixture
def book(tmp_path: Path, store_url: str) -> list[str]:
    store = Store(store_url)
    for batch in batches():
        store.apply_batch("book", "vcard", batch, config(store_url).rules)
    store.close()
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "{store_url}"\n[me]\nemails = ["me@example.com"]\n'
        "[cadence]\ntiers = { close = 30, friends = 90 }\n",
        encoding="utf-8",
    )
    return ["--config", str(path)]


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def listed(cfg: list[str], *extra: str) -> dict[str, dict[str, object]]:
    code, output = run("people", "list", "--json", *extra, *cfg)
    assert code == 0, output
    return {p["name"]: p for p in json.loads(output)}


def test_list_shows_what_the_report_computes(book: list[str]) -> None:
    people = listed(book)
    jonas = people["Jonas Berg"]
    # The tier comes from the card; the list used to show only overrides (blank here).
    assert (jonas["tier"], jonas["cadence_days"], jonas["cadence_source"]) == ("close", 30, "tier")
    assert jonas["status"] in {"cold", "cooling", "warm", "dormant"}
    assert jonas["last_contact"]["channel"] == "meeting"
    assert set(listed(book, "--tier", "close")) == {"Jonas Berg", "Ben Carter"}
    statuses = {p["status"] for p in listed(book, "--status", "cold").values()}
    assert statuses <= {"cold"}
    code, output = run("people", "list", "--status", "lukewarm", *book)
    assert code == 2 and "lukewarm" in output
    code, output = run("people", "list", *book)
    assert code == 0 and "status" in output and "3 people" in output


def test_show_tells_status_history_sources_and_actions(book: list[str]) -> None:
    assert (
        run("people", "log", "jonas@example.com", "--channel", "call", "--at", "2026-11-01", *book)[
            0
        ]
        == 0
    )
    assert run("people", "snooze", "Jonas", "--for", "10", *book)[0] == 0
    code, output = run("people", "show", "Jonas", *book)
    assert code == 0, output
    for expected in (
        "status",
        # where the tier came from, in words a person can follow (not the card's hash key)
        "close (from CATEGORIES on contacts.vcf:31 in account book — Jonas Berg)",
        "card          contacts.vcf:31 in account book — Jonas Berg",
        "every 30 days (tier close in [cadence] tiers)",
        "name from     their address book card",
        "last meeting",
        "last email",
        "last call",
        "recent contact",
        "outbound",
        "2026-06-10",
        "what you did",
        "snooze",
        "log",
    ):
        assert expected in output, (expected, output)


def test_merge_says_what_moved_and_unmerge_restores_it_exactly(
    book: list[str], store_url: str
) -> None:
    before = listed(book)
    code, output = run("people", "merge", "Daniel Kim", "Ben Carter", *book)
    assert code == 0, output
    assert "merged Ben Carter" in output and "into Daniel Kim" in output and "unmerge" in output
    merged = listed(book)["Daniel Kim"]
    assert "ben@example.com" in merged["emails"] and "+14155550100" in merged["phones"]
    assert merged["tier"] == "close"  # Ben's card came along
    code, output = run("people", "unmerge", "Daniel", *book)
    assert code == 0, output
    assert "unmerged Ben Carter" in output
    after = listed(book)
    assert after == before  # identities, tier, cadence, name, status: all as before
    # A re-sync of Ben's card changes nothing, and nothing is left to undo.
    store = Store(store_url)
    store.apply_batch("book", "vcard", Batch(cards=[ben_card()]), config(store_url).rules)
    store.close()
    assert listed(book) == before
    code, output = run("people", "unmerge", "Daniel", *book)
    assert code == 2 and "no merge to undo" in output


def test_unmerge_restores_overrides_and_actions(book: list[str]) -> None:
    assert run("people", "set", "Ben", "--tier", "friends", "--cadence", "45", *book)[0] == 0
    assert run("people", "ignore", "Ben", *book)[0] == 0
    before = listed(book)
    assert run("people", "merge", "Daniel", "Ben", *book)[0] == 0
    assert run("people", "unmerge", "Daniel", *book)[0] == 0
    assert listed(book) == before
    _, output = run("people", "show", "Ben", *book)
    assert "ignore" in output and "unmerge" in output


def test_nonsense_is_refused_and_nothing_changes(book: list[str]) -> None:
    before = listed(book)
    code, output = run("people", "merge", "Ben", "ben@example.com", *book)
    assert code == 2 and "same person" in output
    code, output = run("people", "set", "Ben", *book)
    assert code == 2 and "nothing to set" in output
    code, output = run("people", "split", "Daniel", "daniel@example.com", *book)
    assert code == 2 and "only email or phone" in output
    code, output = run("people", "snooze", "Ben", *book)
    assert code == 2 and "--until" in output
    code, output = run("people", "snooze", "Ben", "--until", "2001-01-01", *book)
    assert code == 2 and "not after today" in output
    future = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    code, output = run("people", "log", "Ben", "--channel", "call", "--at", future, *book)
    assert code == 2 and "future" in output
    code, output = run("people", "log", "Ben", "--channel", "fax", *book)
    assert code == 2 and "in-person" in output
    assert listed(book) == before


def test_split_names_the_new_person_and_delete_forgets(book: list[str]) -> None:
    code, output = run("people", "split", "Ben", "+14155550100", *book)
    assert code == 0 and "new person" in output
    code, output = run("people", "delete", "Daniel", "--yes", *book)
    assert code == 0 and "forgot Daniel Kim" in output
    assert "Daniel Kim" not in listed(book)
    code, output = run("people", "show", "daniel@example.com", *book)
    assert code == 2, output


def test_snooze_ignore_log_by_every_kind_of_reference(book: list[str]) -> None:
    people = listed(book)
    ben_id = str(people["Ben Carter"]["id"])
    until = (date.today() + timedelta(days=30)).isoformat()
    code, output = run("people", "snooze", ben_id[:6], "--until", until, *book)
    assert code == 0 and f"until {until}" in output
    assert listed(book)["Ben Carter"]["snoozed_until"] == until
    assert run("people", "unsnooze", "+1 415 555 0100", *book)[0] == 0
    assert listed(book)["Ben Carter"]["snoozed_until"] is None
    assert run("people", "ignore", "ben@example.com", *book)[0] == 0
    assert listed(book)["Ben Carter"]["ignored"] is True
    code, output = run("people", "ignore", "Ben", *book)
    assert code == 0 and "already ignored; nothing changed" in output
    assert run("people", "unignore", "Carter", *book)[0] == 0
    assert listed(book)["Ben Carter"]["ignored"] is False
    code, output = run("people", "unsnooze", "Ben", *book)
    assert code == 0 and "was not snoozed; nothing changed" in output
    code, output = run(
        "people", "log", "Ben", "--channel", "in-person", "--at", "2026-11-20T18:30", *book
    )
    assert code == 0 and "logged an in-person meeting" in output
    last = listed(book)["Ben Carter"]["last_contact"]
    assert last == {"at": "2026-11-20T18:30:00Z", "channel": "in-person"}
    code, output = run("people", "log", "Ben", "--channel", "call", "--at", "2026-11-21", *book)
    assert code == 0 and "logged a call" in output
    code, output = run("report", "--format", "json", "--as-of", "2026-11-22", *book)
    ben = next(p for p in json.loads(output)["people"] if p["name"] == "Ben Carter")
    assert ben["reason"].startswith("You last spoke to Ben on the phone on 21 Nov"), ben["reason"]
    code, output = run("people", "show", "Ben", *book)
    assert "snooze" in output and "unsnooze" in output and "ignore" in output


def test_list_at_80_columns_cuts_nothing(book: list[str], store_url: str) -> None:
    import os
    import subprocess
    import sys

    long_address = "maximiliane.von-hohenstein-grabowski@consulting-partners.example"
    store = Store(store_url)
    store.apply_batch(
        "mail",
        "mbox",
        Batch(interactions=[sent("long", "2026-07-14T10:00:00", long_address)]),
        config(store_url).rules,
    )
    store.close()
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "people", "list", *book],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "…" not in done.stdout  # names and addresses fold; nothing is cut
    people = listed(book)
    for person in people.values():
        assert str(person["id"])[:8] in done.stdout
        last = person["last_contact"]
        if last:
            assert last["at"][:10] in done.stdout, last  # never cut to "2026-07-…"
    assert "close" in done.stdout  # the tier, beside the cadence
