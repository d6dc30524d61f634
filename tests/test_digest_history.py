"""The digest on a generated ten-year history (samples.history): it names exactly the
archetypes that should be there, with the right kind, and none of the others — through the
real sync flow, the store and `keepwarm report`, on SQLite and PostgreSQL; the user's
snooze / ignore / log change it as they should; and over seven consecutive days of delivered
digests nobody is repeated within a week unless a reply is owed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.config import load_config
from models.people import log_contact, set_ignored, snooze
from models.store import Store
from samples.history import HistorySet, generate_history
from tests.fakes.smtp import FakeSmtp

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
# The mbox connector refuses dates after the real clock, so the history ends today.
TODAY = datetime.now(UTC).date()


def setup(tmp_path: Path, store_url: str, budget: int, **options: Any) -> tuple[HistorySet, Path]:
    history = generate_history(tmp_path / "data", TODAY, **options)
    path = tmp_path / "config.toml"
    text = history.config(store_url) + f"\n[digest]\nbudget = {budget}\n"
    path.write_text(text, encoding="utf-8")
    return history, path


def sync(config: Path) -> None:
    result = CliRunner().invoke(app, ["sync", "--config", str(config)])
    assert result.exit_code == 0, result.output


def report(config: Path, day: date = TODAY) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["report", "--format", "json", "--as-of", day.isoformat(), "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def digest_by_email(data: dict[str, Any]) -> dict[str, str]:
    return {item["emails"][0]: item["kind"] for item in data["digest"]["items"]}


def check_digest(history: HistorySet, got: dict[str, str], *, after_actions: bool) -> None:
    """With a budget nobody fills: every qualifying archetype, with its kind, and no one else
    (a single reconnect, drawn from the dormant strong ties)."""
    want: dict[str, str] = {}
    for key, truth in history.people().items():
        kind = truth.kind_after if after_actions and truth.action else truth.kind
        if kind is not None:
            want[key] = kind
    reconnect = {k for k, kind in want.items() if kind == "reconnect"}
    chosen = {k for k, kind in got.items() if kind == "reconnect"}
    assert len(chosen) == 1 and chosen <= reconnect, (chosen, reconnect)
    others_want = {k: v for k, v in want.items() if v != "reconnect"}
    others_got = {k: v for k, v in got.items() if v != "reconnect"}
    missing = {history.truth[k].name: v for k, v in others_want.items() if k not in others_got}
    extra = {k: v for k, v in others_got.items() if others_want.get(k) != v}
    assert not missing and not extra, (missing, extra)


def test_the_digest_names_exactly_the_archetypes(tmp_path: Path, store_url: str) -> None:
    history, config = setup(tmp_path, store_url, budget=50)
    sync(config)
    data = report(config)
    people = {p["emails"][0]: p for p in data["people"] if p["emails"]}
    for key, truth in history.people().items():
        if truth.status == "absent":
            continue
        person = next(p for p in data["people"] if key in p["emails"])
        assert person["status"] == truth.status, (truth.name, truth.archetype)
        assert person["name"] == truth.name, truth.archetype
    every_email = {e for p in data["people"] for e in p["emails"]}
    for key, truth in history.absent().items():
        assert not ({key, *truth.emails} & every_email), (truth.name, truth.archetype)
    assert people  # sanity
    check_digest(history, digest_by_email(data), after_actions=False)
    statuses = [p["status"] for p in data["people"]]
    assert statuses[-statuses.count("dormant") :] == ["dormant"] * statuses.count("dormant")

    # The user answers back: snooze, ignore, log a call — then sync again: nothing undone.
    cfg = load_config(config)
    store = Store(cfg.store.url)
    try:
        for key, truth in history.people().items():
            if truth.action == "snooze":
                assert truth.action_at is not None
                snooze(store, key, truth.action_at)
            elif truth.action == "ignore":
                set_ignored(store, key, True)
            elif truth.action == "log":
                assert truth.action_at is not None
                at = datetime.combine(truth.action_at, time(18, 0), UTC)
                log_contact(store, key, "call", at, cfg.rules)
    finally:
        store.close()
    sync(config)
    after = report(config)
    check_digest(history, digest_by_email(after), after_actions=True)
    logged = [t for t in history.people().values() if t.action == "log"]
    for truth in logged:
        person = next(p for p in after["people"] if truth.email in p["emails"])
        assert person["status"] == truth.status_after
        assert person["last_contact"]["channel"] == "call"


def test_the_default_budget_keeps_seats_and_ranks_close_ties_first(
    tmp_path: Path, sqlite_url: str
) -> None:
    history, config = setup(tmp_path, sqlite_url, budget=7)
    sync(config)
    items = report(config)["digest"]["items"]
    kinds = Counter(item["kind"] for item in items)
    assert len(items) == 7 and kinds["reply"] == 2 and kinds["new"] >= 1
    assert kinds["reconnect"] == 1
    names = [item["name"] for item in items if item["kind"] == "drifting"]
    close_late = history.by_archetype("drifting-close-month-late")[0].name
    network_late = history.by_archetype("drifting-network-year-late")[0].name
    assert network_late not in names
    config.write_text(config.read_text().replace("budget = 7", "budget = 50"))
    everyone = report(config)["digest"]["items"]
    ranked = [item["name"] for item in everyone if item["kind"] == "drifting"]
    assert ranked.index(close_late) < ranked.index(network_late)  # strength x overdue
    for item in items:
        assert item["reason"].endswith((".", "?")) and item["name"].split()[0] in item["reason"]


def test_a_week_of_digests_rotates_through_a_crowd(tmp_path: Path, sqlite_url: str) -> None:
    history, config = setup(tmp_path, sqlite_url, budget=7, drifting_crowd=30)
    with FakeSmtp() as smtp:
        text = config.read_text(encoding="utf-8") + (
            '\n[report]\ndeliver = ["email"]\ndelivery_backoff_seconds = 0.01\n'
            'email = { to = "sam@example.com", sender = "keepwarm@example.com", '
            f'smtp_host = "127.0.0.1", smtp_port = {smtp.port}, starttls = false, '
            'username_env = "" }\n'
        )
        config.write_text(text.replace("\n[digest]\nbudget = 7\n", "\n"), encoding="utf-8")
        sync(config)
        seen: dict[str, list[tuple[date, str]]] = {}
        for offset in range(7):
            day = TODAY + timedelta(days=offset)
            items = report(config, day)["digest"]["items"]
            again = report(config, day)["digest"]["items"]
            assert items == again  # reproducible until delivered
            delivered = CliRunner().invoke(
                app,
                ["report", "--deliver", "email", "--as-of", day.isoformat(), "--config",
                 str(config)],
            )  # fmt: skip
            assert delivered.exit_code == 0, delivered.output
            assert report(config, day)["digest"]["items"] == items  # still, after delivery
            assert len(items) <= 7
            for item in items:
                seen.setdefault(item["id"], []).append((day, item["kind"]))
        assert len(smtp.recorder.messages) == 7
    for person_id, days in seen.items():
        non_reply = [d for d, kind in days if kind != "reply"]
        assert len(non_reply) == len(set(non_reply)) <= 1, (person_id, days)
    crowd = {t.email for t in history.by_archetype("drifting-crowd")}
    named = {item_id for item_id in seen}
    assert len(named) > 7 * 3  # the week reached well beyond one day's budget
    assert crowd  # the crowd exists
