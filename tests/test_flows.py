"""The sample year through the real Prefect flows (ephemeral API via the test harness):
the demo's report, idempotent re-syncs and backfills, and a failing account that does not
stop the others."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from delivery.render import render
from models.config import load_config
from models.report import build_report
from models.store import Store
from tests.report_schema import validate_report_json

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def demo_config(tmp_path: Path, store_url: str) -> Path:
    from samples.generate import demo_config, generate

    sample = generate(tmp_path / "data", TODAY)
    path = tmp_path / "config.toml"
    path.write_text(demo_config(sample, store_url), encoding="utf-8")
    return path


def report_json(config_path: Path) -> dict[str, object]:
    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        data: dict[str, object] = json.loads(
            render(build_report(store, config, TODAY, now=NOW), "json")
        )
    finally:
        store.close()
    data.pop("generated_at")
    return data


def table_sizes(config_path: Path) -> dict[str, int]:
    from sqlalchemy import func, select

    from models.schema import Base

    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        with store.session() as session:
            return {
                name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in Base.metadata.tables.items()
            }
    finally:
        store.close()


def test_sample_year_report_matches_its_ground_truth(demo_config: Path) -> None:
    from flows.sync import sync_all
    from samples.generate import generate

    truth = generate(demo_config.parent / "truth", TODAY).ground_truth
    results = sync_all(str(demo_config))
    assert {r["account"] for r in results} == {"contacts", "takeout", "calendar"}
    assert all(r["skipped"] == 0 for r in results), results
    data = report_json(demo_config)
    validate_report_json(data | {"generated_at": "2026-11-25T12:00:00Z"})
    people = {p["name"]: p for p in data["people"]}  # type: ignore[attr-defined]
    assert set(people) == set(truth["people"])
    for name, expected in truth["people"].items():
        got = people[name]
        assert got["status"] == expected["status"], name
        assert got["cadence_source"] == expected["cadence_source"], name
        assert got["cadence_days"] == expected["cadence_days"], name
        assert set(expected["emails"]) <= set(got["emails"]), name
    every_email = {e for p in people.values() for e in p["emails"]}
    assert every_email.isdisjoint(truth["absent"])
    order = [p["name"] for p in data["people"]]  # type: ignore[attr-defined]
    assert order[: len(truth["most_overdue_first"])] == truth["most_overdue_first"]
    statuses = [p["status"] for p in data["people"]]  # type: ignore[attr-defined]
    assert "dormant" not in statuses[: statuses.count("cold") + statuses.count("cooling")]


def test_sample_digest_matches_its_ground_truth(demo_config: Path) -> None:
    from flows.sync import sync_all
    from samples.generate import generate

    truth = generate(demo_config.parent / "truth", TODAY).ground_truth
    sync_all(str(demo_config))
    data = report_json(demo_config)
    digest: dict[str, Any] = data["digest"]  # type: ignore[assignment]
    names = {p["id"]: p["name"] for p in data["people"]}  # type: ignore[attr-defined]
    got = [(names.get(i["id"], i["name"]), i["kind"]) for i in digest["items"]]
    expected = [(name, kind) for name, kind in truth["digest"]["items"]]
    assert sorted(g for g in got if g[1] != "reconnect") == sorted(expected)
    reconnect = [name for name, kind in got if kind == "reconnect"]
    assert len(reconnect) == 1 and reconnect[0] in truth["digest"]["reconnect_from"]
    drifting = [name for name, kind in got if kind == "drifting"]
    assert drifting[0] == "Wei Chen"  # strength x overdue: the weekly 1:1s


def test_sync_twice_and_backfill_twice_change_nothing(demo_config: Path) -> None:
    from flows.sync import backfill, sync_all

    sync_all(str(demo_config))
    first, sizes = report_json(demo_config), table_sizes(demo_config)
    again = sync_all(str(demo_config))
    assert sum(r["inserted"] for r in again) == 0
    assert report_json(demo_config) == first
    for _ in range(2):
        for account in ("contacts", "takeout", "calendar"):
            result = backfill(str(demo_config), account, datetime(2025, 1, 1, tzinfo=UTC), None)
            assert result["inserted"] == 0, result
    assert report_json(demo_config) == first
    assert table_sizes(demo_config) == sizes


def test_one_broken_account_does_not_stop_the_others(demo_config: Path, tmp_path: Path) -> None:
    from flows.sync import SyncFailed, sync_all

    text = demo_config.read_text(encoding="utf-8")
    text += '\n[[accounts]]\nname = "lost"\nkind = "mbox"\npath = "/nonexistent/file.mbox"\n'
    demo_config.write_text(text, encoding="utf-8")
    with pytest.raises(SyncFailed) as failure:
        sync_all(str(demo_config))
    by_account = {r["account"]: r for r in failure.value.results}
    assert by_account["takeout"]["seen"] > 0
    assert "lost" in str(failure.value)
