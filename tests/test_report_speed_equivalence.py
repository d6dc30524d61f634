"""The fast report (derived contact table) says exactly what the old query-based one said.

tests/report_oracle.py keeps the old implementation, which applies the rules at read time;
every test here builds a store through the real ingest path (Store.apply_batch, the manual
people commands) and compares both reports entry by entry, including the digest-only fields.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from models.config import Config
from models.people import merge, split
from models.records import Batch, ContactCard, Interaction, Participant
from models.report import PersonEntry, Report, build_report
from models.rules import rules_fingerprint
from models.schema import ContactRow, MetaRow
from models.store import Store
from tests.builders import at, card, config, meeting, received, sent
from tests.report_oracle import oracle_report

AS_OF = date(2026, 11, 25)
NOW = at("2026-11-25T12:00:00")
TIERS = ("inner", "close", "friends", "Close ", "stranger")


def assert_same(store: Store, cfg: Config, as_of: date | None = AS_OF) -> Report:
    fast = build_report(store, cfg, as_of, now=NOW)
    slow = oracle_report(store, cfg, as_of, now=NOW)
    assert fast.as_of == slow.as_of
    assert [p.name for p in fast.people] == [p.name for p in slow.people]
    for mine, theirs in zip(fast.people, slow.people, strict=True):
        assert mine == theirs, mine.name
    return fast


def assert_same_everywhere(store: Store, cfg: Config) -> None:
    for as_of in (AS_OF, date(2026, 6, 30), date(2025, 1, 1), date(2027, 2, 1)):
        assert_same(store, cfg, as_of)


def last_at(entry: PersonEntry) -> datetime | None:
    return entry.last_contact.at if entry.last_contact else None


def when(rng: random.Random, future: bool = False) -> str:
    moment = NOW - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
    if future:
        moment = NOW + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def random_interaction(rng: random.Random, n: int, addresses: list[str]) -> Interaction:
    """A mix of everything the rules look at: groups, flags, roles, declines, the future."""
    roll = rng.random()
    flags: dict[str, Any] = {}
    if roll < 0.35:
        to = rng.sample(addresses, rng.choice([1, 1, 1, 2, 3, 11]))
        if rng.random() < 0.1:
            flags["bulk"] = True
        record = sent(f"s{n}", when(rng), *to, **flags)
        if rng.random() < 0.15:  # the same person in To and Cc: one contact, not two
            extra = (Participant("email", to[0], "cc"),)
            record = Interaction(**{**_fields(record), "participants": record.participants + extra})
        return record
    if roll < 0.7:
        sender = rng.choice(addresses + [f"in{i}@example.com" for i in range(6)])
        if rng.random() < 0.15:
            flags["bulk"] = True
        elif rng.random() < 0.1:
            flags["automated"] = True
        return received(f"r{n}", when(rng), sender, **flags)
    attendees = rng.sample(addresses, rng.choice([1, 1, 2, 3, 9]))
    if rng.random() < 0.1:
        flags["cancelled"] = True
    elif rng.random() < 0.1:
        flags["declined"] = True
    if rng.random() < 0.2:
        flags["declined_by"] = [attendees[0]]
    return meeting(f"m{n}", when(rng, future=rng.random() < 0.2), *attendees, **flags)


def _fields(record: Interaction) -> dict[str, Any]:
    return {name: getattr(record, name) for name in Interaction.__slots__}


def random_store(store_url: str, seed: int) -> tuple[Store, Config]:
    rng = random.Random(seed)
    cfg = config(store_url, report={"timezone": rng.choice(["UTC", "America/Los_Angeles"])})
    store = Store(store_url)
    addresses = [f"p{i}@example.com" for i in range(30)]

    def apply(batch: Batch, account: str = "mail") -> None:
        store.apply_batch(account, "mbox", batch, cfg.rules)

    cards = [
        card(
            f"c{i}",
            f"Card Person {i}",
            *rng.sample([*addresses, f"only{i}@example.com"], rng.choice([1, 1, 2])),
            categories=tuple(rng.sample(TIERS, rng.choice([0, 0, 1, 2]))),
            birthday=rng.choice([None, "1990-04-01"]),
            is_org=rng.random() < 0.1,
        )
        for i in range(8)
    ]
    apply(Batch(cards=cards), "book")
    apply(Batch(cards=[card("solo", "Card Only", "nobody.writes@example.com")]), "book")
    records = [random_interaction(rng, n, addresses) for n in range(400)]
    for start in range(0, 300, 60):
        apply(Batch(interactions=records[start : start + 60]))
    assert_same(store, cfg)
    # Correspondents who only wrote to you become people once you write back.
    apply(Batch(interactions=[sent(f"reply{i}", when(rng), f"in{i}@example.com") for i in (0, 1)]))
    # Edits (same keys, other people and times) and deletions at the source.
    edited = [random_interaction(rng, n, addresses) for n in range(0, 40)]
    apply(Batch(interactions=edited + records[300:]))
    apply(Batch(removed_keys=[r.key for r in rng.sample(records[:300], 25)]))
    # A card that proves two correspondents are one person (a merge on ingest).
    pair = rng.sample(addresses, 2)
    apply(Batch(cards=[card("both", "Merged By Card", *pair, phones=("+15555550100",))]), "book")
    return store, cfg


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_store_matches_the_oracle(store_url: str, seed: int) -> None:
    store, cfg = random_store(store_url, seed)
    try:
        assert_same_everywhere(store, cfg)
        rng = random.Random(seed)
        a, b, c = rng.sample([f"p{i}@example.com" for i in range(30)], 3)
        merge(store, a, b)
        assert_same(store, cfg)
        split(store, a, b)
        merge(store, c, a)
        assert_same_everywhere(store, cfg)
    finally:
        store.close()


def test_changing_a_threshold_needs_no_resync(store_url: str) -> None:
    cfg = config(store_url)
    store = Store(store_url)
    try:
        five = [f"t{i}@example.com" for i in range(5)]
        batch = Batch(
            interactions=[
                sent("team", "2026-11-01T10:00:00", *five),
                sent("solo", "2026-10-01T10:00:00", five[0]),
                meeting("six", "2026-11-02T10:00:00", *[f"m{i}@example.com" for i in range(6)]),
            ]
        )
        store.apply_batch("mail", "mbox", batch, cfg.rules)
        wide = {p.emails[0]: p for p in assert_same(store, cfg).people}
        assert last_at(wide[five[0]]) == at("2026-11-01T10:00:00")
        assert last_at(wide["m0@example.com"]) is not None

        narrow = config(store_url, rules={"max_email_group": 3, "max_meeting_size": 4})
        people = {p.emails[0]: p for p in assert_same(store, narrow).people}
        assert last_at(people[five[0]]) == at("2026-10-01T10:00:00")
        assert five[1] not in people  # no counting contact any more, and no card
        assert "m0@example.com" not in people
        with store.session() as session:
            stored = session.scalar(select(MetaRow.value).where(MetaRow.key == "contact_rules"))
        assert stored == rules_fingerprint(narrow.rules)

        # Ingest under the narrow rules keeps the table consistent with them; widening again
        # brings the big mail and the meeting back, still without re-reading any source.
        store.apply_batch(
            "mail",
            "mbox",
            Batch(interactions=[sent("late", "2026-11-20T10:00:00", *five)]),
            narrow.rules,
        )
        assert_same(store, narrow)
        again = {p.emails[0]: p for p in assert_same(store, cfg).people}
        assert last_at(again[five[1]]) == at("2026-11-20T10:00:00")
    finally:
        store.close()


def test_contact_rows_follow_identities(store_url: str) -> None:
    """Inbound-only mail is kept person-less and picks up its person when one appears."""
    cfg = config(store_url)
    store = Store(store_url)
    try:
        store.apply_batch(
            "mail",
            "mbox",
            Batch(interactions=[received("in", "2026-11-01T10:00:00", "late@example.com")]),
            cfg.rules,
        )
        assert assert_same(store, cfg).people == []

        def unowned() -> int:
            with store.session() as session:
                query = select(func.count()).where(ContactRow.person_id.is_(None))
                return int(session.scalar(query.select_from(ContactRow)) or 0)

        assert unowned() == 1
        store.apply_batch(
            "book",
            "vcard",
            Batch(
                cards=[
                    ContactCard("vcard:book:late", "vcard", "book", "Late", ("late@example.com",))
                ]
            ),
            cfg.rules,
        )
        (late,) = assert_same(store, cfg).people
        assert late.last_inbound_at == at("2026-11-01T10:00:00") and unowned() == 0
    finally:
        store.close()


def test_migrated_store_without_contact_rows_is_rebuilt(store_url: str) -> None:
    """A store upgraded to the contact table (empty, null fingerprint) derives it on first use."""
    store, cfg = random_store(store_url, 4)
    try:
        with store.session() as session:
            session.execute(delete(ContactRow))
            session.execute(update(MetaRow).values(value=None))
        assert_same(store, cfg)
    finally:
        store.close()
