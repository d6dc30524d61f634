"""The demo's sample year: deterministic, readable by the stdlib and by our connectors."""

from __future__ import annotations

import mailbox
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header
from email.utils import getaddresses
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
import vobject

from connectors.base import Me
from connectors.source import BuildOptions
from models.config import config_from_dict
from samples.generate import SampleSet, demo_config, generate

TODAY = date(2026, 11, 25)
FILES = ("contacts.vcf", "takeout.mbox", "calendar.ics")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    return generate(tmp_path_factory.mktemp("sample"), TODAY)


@pytest.fixture(scope="module")
def messages(sample: SampleSet) -> list[mailbox.mboxMessage]:
    return list(mailbox.mbox(sample.mbox, create=False))


def decoded(value: str | None) -> str:
    return str(make_header(decode_header(value or "")))


def test_same_today_gives_identical_bytes(tmp_path: Path, sample: SampleSet) -> None:
    again = generate(tmp_path / "again", TODAY)
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (
            sample.contacts.parent / name
        ).read_bytes()
    assert again.ground_truth == sample.ground_truth


def test_another_today_shifts_the_year(tmp_path: Path, sample: SampleSet) -> None:
    later = generate(tmp_path / "later", TODAY + timedelta(days=30))
    assert later.mbox.read_bytes() != sample.mbox.read_bytes()
    statuses = {n: p["status"] for n, p in later.ground_truth["people"].items()}
    assert statuses == {n: p["status"] for n, p in sample.ground_truth["people"].items()}


def test_sizes_are_modest(sample: SampleSet) -> None:
    total = sum(p.stat().st_size for p in (sample.contacts, sample.mbox, sample.calendar))
    assert total < 5 * 1024 * 1024


def test_mbox_parses_with_takeout_headers(messages: list[mailbox.mboxMessage]) -> None:
    assert 1500 <= len(messages) <= 4000  # the year, and a lighter nine years before it
    ids = [m["Message-ID"] for m in messages]
    assert len(set(ids)) == len(ids)
    for message in messages:
        assert message["Date"] and message["From"] and message["X-GM-THRID"]
        assert message["X-Gmail-Labels"] is not None
        assert message.get_from().split()[0].endswith("@xxx")
    noise = [m for m in messages if m["List-Id"] or m["List-Unsubscribe"] or m["Auto-Submitted"]]
    assert len(noise) > len(messages) / 2


def test_mbox_holds_the_tricky_cases(messages: list[mailbox.mboxMessage]) -> None:
    senders = {getaddresses([m["From"]])[0][1] for m in messages}
    assert {"Jonas.Berg@gmail.com", "jonasberg@googlemail.com"} <= senders
    names = {decoded(getaddresses([m["From"]])[0][0]) for m in messages}
    assert {"Tomás Ibáñez", "Chloé Dubois", "Björn Åkesson"} <= names
    sent = [m for m in messages if "Sent" in (m["X-Gmail-Labels"] or "")]
    recipients = [
        {a.lower() for _, a in getaddresses(m.get_all("To", []) + m.get_all("Cc", []))}
        for m in sent
    ]
    assert not any("kevin.marsh@talentbridge.example" in r for r in recipients)
    assert max(len(r) for r in recipients) == 12  # the reply-all thread


def test_vcards_parse_with_vobject(sample: SampleSet) -> None:
    text = sample.contacts.read_text(encoding="utf-8")
    cards = list(vobject.readComponents(text, allowQP=True))
    assert 20 <= len(cards) <= 30
    versions = {c.version.value for c in cards}
    assert versions == {"2.1", "3.0"}
    names = {c.fn.value for c in cards}
    assert {"Tomás Ibáñez", "Chloé Dubois", "Wei Chen"} <= names
    assert any(c.contents.get("kind") for c in cards)
    assert "item1.EMAIL" in text
    birthdays = [c.bday.value for c in cards if "bday" in c.contents]
    soon = (TODAY + timedelta(days=9)).strftime("-%m-%d")
    assert any(b.endswith(soon) for b in birthdays)


def test_calendar_parses_and_expands(sample: SampleSet) -> None:
    calendar = icalendar.Calendar.from_ical(sample.calendar.read_bytes())
    start = datetime.combine(TODAY - timedelta(days=365), datetime.min.time(), UTC)
    events = recurring_ical_events.of(calendar).between(start, start + timedelta(days=450))
    summaries = [str(e["SUMMARY"]) for e in events]
    assert 100 < len(events) < 400
    assert "Sam / Wei 1:1 (moved)" in summaries
    assert "Lunch with Aiko" in summaries
    wei = [e for e in events if str(e["SUMMARY"]).startswith("Sam / Wei")]
    newest = max(e.decoded("DTSTART") for e in wei)
    assert 28 <= (TODAY - newest.date()).days <= 40
    assert any(e.get("STATUS") == "CANCELLED" for e in events)
    biggest = max(len(e.get("ATTENDEE", [])) for e in calendar.walk("VEVENT"))
    assert biggest == 40


def test_ground_truth_tells_a_mixed_story(sample: SampleSet) -> None:
    truth = sample.ground_truth
    people = truth["people"]
    assert 20 <= len(people) <= 32
    statuses = {p["status"] for p in people.values()}
    assert statuses == {"warm", "cooling", "cold", "dormant", "never"}
    assert people["Wei Chen"]["status"] == "cold"
    assert people["Aiko Tanaka"]["next_planned_days_ahead"] == 5
    emails = {e for p in people.values() for e in p["emails"]}
    assert not emails & set(truth["absent"])
    assert truth["most_overdue_first"][0] in {"Wei Chen", "Jonas Berg", "Margaret Okafor"}
    assert not {n for n in truth["most_overdue_first"] if people[n]["status"] == "dormant"}


def test_the_demo_digest_shows_every_kind(sample: SampleSet) -> None:
    """DESIGN's digest with its default budget of 7, filled reply, drifting, new, reconnect."""
    digest = sample.ground_truth["digest"]
    people = sample.ground_truth["people"]
    kinds = [kind for _, kind in digest["items"]]
    assert len(kinds) < digest["budget"] and digest["reconnect_from"]  # a slot for reconnect
    assert set(kinds) == {"reply", "drifting", "new"}
    assert ["Ben Carter", "reply"] in digest["items"]
    assert digest["items"][kinds.index("drifting")] == ["Wei Chen", "drifting"]
    assert len(digest["reconnect_from"]) >= 2  # one a day, rotating
    for name in digest["reconnect_from"]:
        assert people[name]["status"] == "dormant" and people[name]["digest"] == "reconnect"
    # Never in the digest: a meeting planned within 14 days, never contacted, dormant one-offs.
    for name in ("Aiko Tanaka", "Daniel Kim", "Greta Lindqvist", "Haruto Sato", "Paulo Reis"):
        assert people[name]["digest"] is None, name
    assert people["Daniel Kim"]["next_planned_days_ahead"] == 8


def test_another_today_keeps_the_digest(tmp_path: Path, sample: SampleSet) -> None:
    later = generate(tmp_path / "later", TODAY + timedelta(days=101))
    digest, now = later.ground_truth["digest"], sample.ground_truth["digest"]
    assert sorted(digest["items"]) == sorted(now["items"])
    assert digest["reconnect_from"] == now["reconnect_from"]


def test_demo_config_is_accepted(sample: SampleSet, tmp_path: Path) -> None:
    text = demo_config(sample, f"sqlite:///{tmp_path / 'demo.db'}")
    config = config_from_dict(tomllib.loads(text))
    assert [a.kind for a in config.accounts] == ["vcard", "mbox", "ics"]
    assert config.me.emails == list(sample.me)
    assert config.me.default_region == "DE"
    assert config.cadence.tiers == {"inner": 14, "close": 30, "friends": 90, "network": 180}


@pytest.fixture(scope="module")
def current_sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleSet]:
    """Connectors judge dates against the real clock, so this year ends today."""
    yield generate(tmp_path_factory.mktemp("current"), datetime.now(UTC).date())


@pytest.mark.parametrize("module", ["connectors.vcard", "connectors.mbox", "connectors.ics"])
def test_connector_reads_its_sample_without_skips(module: str, current_sample: SampleSet) -> None:
    connector_module = pytest.importorskip(module)
    config = config_from_dict(tomllib.loads(demo_config(current_sample, "sqlite://")))
    me = Me(frozenset(config.me.emails), default_region=config.me.default_region)
    kind = module.rpartition(".")[2]
    account = next(a for a in config.accounts if a.kind == kind)
    batches = list(connector_module.build(account, me, BuildOptions()).batches(None))
    assert [s for b in batches for s in b.skipped] == []
    assert sum(len(b.interactions) + len(b.cards) for b in batches) > 10
