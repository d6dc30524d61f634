"""The multi-year sample history itself: deterministic, every archetype present, readable by
our connectors without a skip, and the contact those records give agrees with the truth."""

from __future__ import annotations

import time
import tomllib
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest

from connectors.base import Connector, Me
from connectors.registry import build_connector
from connectors.source import BuildOptions
from models.config import config_from_dict
from models.records import ContactCard, Interaction
from samples.generate import normalize
from samples.history import (
    ARCHETYPES,
    HistoryError,
    HistorySet,
    Story,
    build_history,
    generate_history,
)
from samples.judge import Touch, judge, mail_touches

TODAY = date(2026, 12, 7)
FILES = ("contacts.vcf", "takeout.mbox", "calendar.ics")
KINDS = {"reply", "drifting", "new", "reconnect"}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> HistorySet:
    return generate_history(tmp_path_factory.mktemp("history"), TODAY)


def test_same_today_and_seed_give_identical_files_and_truth(
    tmp_path: Path, history: HistorySet
) -> None:
    again = generate_history(tmp_path / "again", TODAY)
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (
            history.contacts.parent / name
        ).read_bytes()
    assert again.truth == history.truth


def test_another_seed_gives_other_people_with_the_same_story(
    tmp_path: Path, history: HistorySet
) -> None:
    other = generate_history(tmp_path / "other", TODAY, seed=1)
    assert other.mbox.read_bytes() != history.mbox.read_bytes()
    assert {t.name for t in other.people().values()} != {t.name for t in history.people().values()}

    def story(h: HistorySet) -> list[tuple[str, str, str | None]]:
        return sorted((t.archetype, t.status, t.kind) for t in h.truth.values())

    assert story(other) == story(history)


def test_a_ten_year_history_is_quick_to_generate(tmp_path: Path) -> None:
    start = time.perf_counter()
    generate_history(tmp_path, TODAY + timedelta(days=3), seed=7)
    assert time.perf_counter() - start < 2.0  # about 0.4 s on one core


def test_scale_multiplies_the_background() -> None:
    small, big = build_history(TODAY), build_history(TODAY, scale=3)

    def noise(story: Story) -> int:
        machines = mail_touches(story.mails, story.me)[1]
        return sum(1 for m in story.mails if normalize(parseaddr(m.sender)[1]) in machines)

    assert noise(big) > 2.5 * noise(small) > 2000

    def actives(story: Story) -> int:
        return sum(1 for p in story.cast if p.archetype == "warm-active")

    assert actives(big) == 3 * actives(small)
    kinds = {(p.archetype, p.kind) for p in small.cast}
    assert kinds == {(p.archetype, p.kind) for p in big.cast}


def test_every_archetype_is_there(history: HistorySet) -> None:
    found = {t.archetype for t in history.truth.values()}
    assert found == set(ARCHETYPES) - {"drifting-crowd"}
    assert len(history.by_archetype("ancient-one-off")) >= 4
    assert len(history.by_archetype("weak-acquaintance")) == 3
    reconnect = [t for t in history.people().values() if t.kind == "reconnect"]
    assert len(reconnect) >= 2  # so rotating through them matters
    assert all(t.status == "dormant" and t.best_year >= 10 for t in reconnect)
    years = {t.last_contact.year for t in history.by_archetype("ancient-one-off") if t.last_contact}
    assert years <= {2016, 2017, 2018, 2019}
    assert {t.status for t in history.truth.values()} == {
        "warm", "cooling", "cold", "dormant", "never", "absent",
    }  # fmt: skip


def test_the_labels_say_what_the_rules_say(history: HistorySet) -> None:
    people = history.people()
    by = {t.archetype: t for t in people.values()}
    assert by["reply-owed"].kind == by["reply-owed-meeting-planned"].kind == "reply"
    planned = by["reply-owed-meeting-planned"].next_planned
    assert planned is not None and (planned.date() - TODAY).days == 5
    for name in ("answered", "group-mail", "cc-only", "not-new-flowing", "warm-active"):
        assert (by[name].kind, by[name].status) == (None, "warm"), name
    assert by["drifting-meeting-planned"].kind is None
    assert by["drifting-meeting-planned"].status == "cold"
    close, network = by["drifting-close-month-late"], by["drifting-network-year-late"]
    assert close.tier == "close" and network.tier == "network"
    assert (close.score or 0) > (network.score or 0)
    assert 50 <= (TODAY - close.contact_days[-1]).days <= 60
    assert 540 <= (TODAY - network.contact_days[-1]).days <= 550
    rita = by["name-from-headers"]
    assert (rita.name, rita.email) == ("Rita Gomez", "rita@gomez-studio.example")
    assert by["never"].last_contact is None and by["never"].status == "never"
    for t in people.values():
        if t.kind == "drifting":
            assert t.established and t.status in ("cooling", "cold"), t.name
        if t.archetype == "weak-acquaintance":
            assert not t.established and t.strength < 4, t.name
    absent = history.absent()
    assert "letters@thedigestletter.example" in absent
    assert {t.archetype for t in absent.values()} >= {"newsletter-replied", "automated"}


def test_actions_say_what_changes(history: HistorySet) -> None:
    acted = {t.action: t for t in history.people().values() if t.action}
    assert set(acted) == {"snooze", "ignore", "log"}
    assert (acted["snooze"].kind, acted["snooze"].kind_after) == ("drifting", None)
    assert acted["snooze"].action_at == TODAY + timedelta(days=30)
    assert (acted["ignore"].kind, acted["ignore"].kind_after) == ("new", None)
    log = acted["log"]
    assert (log.kind, log.status, log.kind_after, log.status_after) == (
        "drifting", "cold", None, "warm",
    )  # fmt: skip
    assert log.action_at == TODAY - timedelta(days=1)


def test_the_budget_fills_in_designs_order_keeping_seats(history: HistorySet) -> None:
    before = history.expected_digest()
    kinds = [kind for _, kind in before.items]
    assert kinds == ["reply"] * 2 + ["drifting"] * 3 + ["new"]  # + one reconnect seat
    assert before.reconnect_from
    after = history.expected_digest(after_actions=True)
    assert after.kinds() == KINDS and len(after.items) == 6
    assert len(after.reconnect_from) >= 2
    everyone = history.expected_digest(budget=50)
    qualifying = {k for k, t in history.people().items() if t.kind and t.kind != "reconnect"}
    assert {k for k, _ in everyone.items} == qualifying


def test_a_drifting_crowd_outnumbers_the_budget_for_a_week(tmp_path: Path) -> None:
    crowd = generate_history(tmp_path, TODAY, drifting_crowd=30)
    members = crowd.by_archetype("drifting-crowd")
    assert len(members) == 30
    for member in members:
        touches = [
            Touch(datetime.combine(d, datetime.min.time(), UTC), "out") for d in member.contact_days
        ]
        for shift in range(-7, 15):
            day = TODAY + timedelta(days=shift)
            verdict = judge(touches, today=day, tier=member.tier, has_card=True)
            assert verdict.kind == "drifting", (member.name, day)
    digest = crowd.expected_digest(after_actions=True)
    kinds = [k for _, k in digest.items]
    assert kinds.count("drifting") == 3 and kinds.count("new") == 1 and digest.reconnect_from


def test_the_self_check_catches_a_wrong_label() -> None:
    story = build_history(TODAY)
    victim = next(p for p in story.cast if p.archetype == "answered")
    victim.kind = "reply"
    with pytest.raises(HistoryError, match="answered"):
        story.check()


def test_its_config_is_accepted(history: HistorySet, tmp_path: Path) -> None:
    config = config_from_dict(tomllib.loads(history.config(f"sqlite:///{tmp_path / 'h.db'}")))
    assert [a.kind for a in config.accounts] == ["vcard", "mbox", "ics"]
    assert config.me.emails == list(history.me)


# --- the files through our connectors ------------------------------------------------------


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> HistorySet:
    """The mbox connector judges dates against the real clock, so this history ends today."""
    return generate_history(tmp_path_factory.mktemp("current"), datetime.now(UTC).date())


SOURCE_KINDS = ("vcard", "mbox", "ics")


def read_all(h: HistorySet) -> tuple[list[ContactCard], list[Interaction]]:
    config = config_from_dict(tomllib.loads(h.config("sqlite://")))
    me = Me(frozenset(config.me.emails), default_region=config.me.default_region)
    accounts = {a.kind: a for a in config.accounts}
    now = datetime.combine(h.today, datetime.min.time(), UTC) + timedelta(hours=6)
    options = BuildOptions(now=lambda: now)
    readers: list[Connector] = [
        build_connector(accounts[kind], me, options) for kind in SOURCE_KINDS
    ]
    cards: list[ContactCard] = []
    interactions: list[Interaction] = []
    for reader in readers:
        for batch in reader.batches(None):
            assert batch.skipped == [], batch.skipped[:3]
            cards += batch.cards
            interactions += batch.interactions
    return cards, interactions


def test_connectors_read_it_and_the_contact_agrees_with_the_truth(current: HistorySet) -> None:
    cards, interactions = read_all(current)
    end = datetime.combine(current.today + timedelta(days=1), datetime.min.time(), UTC)
    machines = {
        p.value
        for i in interactions
        if i.channel == "email" and i.direction == "inbound" and (i.bulk or i.automated)
        for p in i.participants
        if p.role == "from"
    }
    contact: dict[str, list[datetime]] = defaultdict(list)
    planned: dict[str, list[datetime]] = defaultdict(list)
    mine: set[str] = set()  # addresses with outbound or meeting contact
    for i in interactions:
        for p in i.participants:
            if i.channel == "meeting":
                if i.cancelled or i.declined or p.declined or i.group_size > 8:
                    continue
                (contact if i.occurred_at < end else planned)[p.value].append(i.occurred_at)
                mine.add(p.value)
            elif i.direction == "outbound":
                if not i.bulk and i.group_size <= 10 and p.role in ("to", "cc", "bcc"):
                    contact[p.value].append(i.occurred_at)
                    mine.add(p.value)
            elif p.role == "from" and not (i.bulk or i.automated):
                contact[p.value].append(i.occurred_at)
    people = current.people()
    owner = {e: key for key, t in current.truth.items() for e in t.emails}
    for address in mine - machines:
        assert address in owner, f"{address} is a person by the rules but not in the truth"
    for truth in people.values():
        moments = sorted(m for e in truth.emails if e not in machines for m in contact[e])
        last = moments[-1] if moments else None
        assert last == truth.last_contact, truth.name
        assert tuple(sorted({m.date() for m in moments})) == truth.contact_days, truth.name
        upcoming = sorted(m for e in truth.emails for m in planned[e])
        if truth.next_planned is not None:
            assert upcoming and upcoming[0] == truth.next_planned, truth.name
    carded = {e for c in cards if not c.is_org for e in c.emails}
    orgs = {e for c in cards if c.is_org for e in c.emails}
    assert "letters@thedigestletter.example" in orgs
    for truth in people.values():
        assert truth.has_card == bool(set(truth.emails) & carded), truth.name
    for key, truth in current.absent().items():
        assert key not in carded, truth.name
        assert key in machines or key not in mine, truth.name
