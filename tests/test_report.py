"""The staleness report over a hand-built store: rules, cadence, status, order, JSON shape."""

from __future__ import annotations

import json
from datetime import date

import pytest

from delivery.render import render
from models.records import Batch
from models.report import build_report
from models.store import Store
from tests.builders import at, card, config, meeting, received, sent
from tests.report_schema import validate_report_json

AS_OF = date(2026, 11, 25)
NOW = at("2026-11-25T12:00:00")


def load(store: Store, cfg_rules: object, *batches: Batch) -> None:
    for b in batches:
        store.apply_batch("mail", "mbox", b, cfg_rules)  # type: ignore[arg-type]


@pytest.fixture
def populated(store_url: str) -> tuple[Store, object]:
    cfg = config(store_url)
    store = Store(store_url)
    cards = Batch(
        cards=[
            card("ada", "Ada Lovelace", "ada@example.com", categories=("close",)),
            card("grace", "Grace Hopper", "grace@example.com"),
            card("acme", "ACME Corp", "hello@acme.example", is_org=True),
        ]
    )
    mail = Batch(
        interactions=[
            sent("a1", "2026-08-01T10:00:00", "ada@example.com"),
            received("a2", "2026-09-01T10:00:00", "ada@example.com", bulk=True),
            sent("w1", "2026-11-01T09:00:00", "wei@example.com"),
            sent("w2", "2026-11-08T09:00:00", "wei@example.com"),
            sent("w3", "2026-11-15T09:00:00", "wei@example.com"),
            sent("w4", "2026-11-15T17:00:00", "wei@example.com"),
            received("r1", "2026-11-20T09:00:00", "recruiter@agency.example"),
            received("n1", "2026-11-20T09:00:00", "news@shop.example", bulk=True),
            sent("big", "2026-11-20T09:00:00", *[f"p{i}@example.com" for i in range(11)]),
        ]
    )
    cal = Batch(
        interactions=[
            meeting("m1", "2026-10-01T09:00:00", "bob@example.com"),
            meeting("m2", "2026-11-10T09:00:00", "bob@example.com", cancelled=True),
            meeting("m3", "2026-11-11T09:00:00", "bob@example.com", declined=True),
            meeting(
                "m4", "2026-11-12T09:00:00", "bob@example.com", declined_by=["bob@example.com"]
            ),
            meeting("f1", "2026-12-02T09:00:00", "bob@example.com"),
        ]
    )
    load(store, cfg.rules, cards, mail, cal)
    return store, cfg


def by_name(report: object) -> dict[str, object]:
    return {p.name: p for p in report.people}  # type: ignore[attr-defined]


def test_rules_statuses_and_reasons(populated: tuple[Store, object]) -> None:
    store, cfg = populated
    report = build_report(store, cfg, AS_OF, now=NOW)  # type: ignore[arg-type]
    people = by_name(report)
    assert set(people) == {"Ada Lovelace", "Grace Hopper", "Wei", "Bob"}
    ada = people["Ada Lovelace"]
    assert ada.tier == "close" and ada.cadence_days == 30 and ada.cadence_source == "tier"
    assert ada.days_since == 116 and ada.status == "cold" and ada.overdue_ratio == 3.87
    assert ada.last_inbound_at is None  # the bulk mail from Ada does not count
    assert ada.reason == (
        "You last emailed Ada on 1 Aug (116 days); you want to talk every 30 days (close)."
    )
    wei = people["Wei"]
    assert wei.cadence_source == "inferred" and wei.cadence_days == 7
    assert wei.interactions_365d == 4 and wei.days_since == 10 and wei.status == "cooling"
    bob = people["Bob"]
    assert bob.last_contact.at == at("2026-10-01T09:00:00")
    assert bob.next_planned_at == at("2026-12-02T09:00:00")
    assert bob.cadence_source == "default" and bob.status == "warm"
    grace = people["Grace Hopper"]
    assert grace.status == "never" and grace.last_contact is None
    order = [p.name for p in report.people]
    assert order == ["Ada Lovelace", "Wei", "Grace Hopper", "Bob"]


def test_json_matches_design_contract(populated: tuple[Store, object]) -> None:
    store, cfg = populated
    text = render(build_report(store, cfg, AS_OF, now=NOW), "json")  # type: ignore[arg-type]
    data = json.loads(text)
    validate_report_json(data)
    ada = next(p for p in data["people"] if p["name"] == "Ada Lovelace")
    assert ada["last_contact"] == {
        "at": "2026-08-01T10:00:00Z",
        "channel": "email",
        "direction": "outbound",
        "source": "mbox",
        "account": "mail",
    }
    assert data["as_of"] == "2026-11-25"


def test_as_of_in_the_past_ignores_later_contact(populated: tuple[Store, object]) -> None:
    store, cfg = populated
    report = build_report(store, cfg, date(2026, 10, 15), now=NOW)  # type: ignore[arg-type]
    people = by_name(report)
    assert "Wei" not in people  # first contact with Wei came later
    assert people["Bob"].days_since == 14


def test_applying_the_same_batches_again_changes_nothing(populated: tuple[Store, object]) -> None:
    store, cfg = populated
    before = render(build_report(store, cfg, AS_OF, now=NOW), "json")  # type: ignore[arg-type]
    again = Batch(interactions=[sent("a1", "2026-08-01T10:00:00", "ada@example.com")])
    result = store.apply_batch("mail", "mbox", again, cfg.rules)  # type: ignore[attr-defined]
    assert (result.inserted, result.updated) == (0, 0)  # unchanged is not "updated"
    after = render(build_report(store, cfg, AS_OF, now=NOW), "json")  # type: ignore[arg-type]
    strip = lambda s: {k: v for k, v in json.loads(s).items() if k != "generated_at"}  # noqa: E731
    assert strip(before) == strip(after)


def test_card_merges_two_correspondents_into_one_person(store_url: str) -> None:
    cfg = config(store_url)
    store = Store(store_url)
    store.apply_batch(
        "mail",
        "mbox",
        Batch(
            interactions=[
                sent("x1", "2026-11-01T10:00:00", "jo@home.example"),
                sent("x2", "2026-11-02T10:00:00", "jo@work.example"),
            ]
        ),
        cfg.rules,
    )
    assert len(build_report(store, cfg, AS_OF, now=NOW).people) == 2
    store.apply_batch(
        "book",
        "vcard",
        Batch(cards=[card("jo", "Jo March", "jo@home.example", "jo@work.example")]),
        cfg.rules,
    )
    people = build_report(store, cfg, AS_OF, now=NOW).people
    assert [p.name for p in people] == ["Jo March"]
    assert sorted(people[0].emails) == ["jo@home.example", "jo@work.example"]
    assert people[0].last_contact is not None
    assert people[0].last_contact.at == at("2026-11-02T10:00:00")


def test_cursor_is_saved_with_its_batch(store_url: str) -> None:
    cfg = config(store_url)
    store = Store(store_url)
    store.apply_batch(
        "mail", "mbox", Batch(cursor='{"n":1}', me_aliases=("alias@x.example",)), cfg.rules
    )
    state = store.sync_state("mail")
    assert state is not None and state.cursor == '{"n":1}' and state.aliases == ["alias@x.example"]
    store.apply_batch("mail", "mbox", Batch(), cfg.rules)
    assert store.sync_state("mail").cursor == '{"n":1}'  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "json"])
def test_every_format_renders(populated: tuple[Store, object], fmt: str) -> None:
    store, cfg = populated
    text = render(build_report(store, cfg, AS_OF, now=NOW), fmt)  # type: ignore[arg-type]
    assert "Ada" in text
