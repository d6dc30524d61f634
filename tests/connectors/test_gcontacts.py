"""Google Contacts against the loopback People v1 fake, spoken to by the real client: the
contract, groups → tiers as vCard CATEGORIES, birthdays in vCard's form, sync tokens,
deletions, expiry, renamed groups, storms, token expiry and scopes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import Connector, Me
from connectors.errors import AuthError
from connectors.gcontacts import build, limit_key
from connectors.gcontacts.connector import GcontactsConnector
from connectors.gcontacts.mapping import birthday_text, person_card
from connectors.gcontacts.settings import GcontactsAccount
from connectors.source import BuildOptions
from connectors.vcard.values import parse_birthday
from models.config import RulesConfig
from models.records import Batch
from models.schema import CardRow
from models.staleness import tier_for
from models.store import Store
from tests.connectors.contract import ConnectorContract, drain, keys_of
from tests.fakes.google_people import FakePeople
from tests.fakes.google_people_data import TIER_GROUPS, ContactsTruth, churn, generate_contacts
from tests.fakes.google_world import write_token

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ME = "me@example.com"
TIERS = {"Inner circle": 14, "Close friends": 30, "Network": 180}


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def account(fake: FakePeople, tmp: Path, **extra: Any) -> GcontactsAccount:
    token = tmp / "token.json"
    if not token.exists():
        write_token(token, fake.authorized_user_info())
    return GcontactsAccount(
        name="book", kind="gcontacts", token_file=str(token), api_endpoint=fake.root_url, **extra
    )


def connector(
    acct: GcontactsAccount, *, batch_size: int = 500, sleep: Sleeps | None = None, **kw: Any
) -> GcontactsConnector:
    me = Me(frozenset({ME}), frozenset({"+14155550000"}), "US")
    return GcontactsConnector(acct, me, batch_size=batch_size, sleep=sleep or Sleeps(), **kw)


def sync(store: Store, conn: Connector) -> list[Batch]:
    state = store.sync_state(conn.account)
    out = []
    for batch in conn.batches(state.cursor if state else None):
        store.apply_batch(conn.account, "gcontacts", batch, RulesConfig())
        out.append(batch)
    return out


def stored_tiers(store: Store) -> dict[str, str]:
    """email → tier, as the report decides it from the cards' categories."""
    out: dict[str, str] = {}
    with store.session() as session:
        for row in session.scalars(select(CardRow).where(CardRow.source == "gcontacts")):
            tier = tier_for(row.categories or [], None, TIERS)
            if tier:
                for email in row.emails or []:
                    out[email] = TIER_GROUPS[tier]
    return out


@pytest.fixture
def fake() -> Iterator[FakePeople]:
    with FakePeople(now=NOW) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    yield s
    s.close()


# -- the contract ----------------------------------------------------------------------------


class TestGcontactsContract(ConnectorContract):
    source = "gcontacts"
    access_fix = "keepwarm auth google book"

    @pytest.fixture(autouse=True)
    def _worlds(self) -> Iterator[None]:
        self.worlds: dict[Path, tuple[FakePeople, GcontactsAccount]] = {}
        yield
        for server, _ in self.worlds.values():
            server.stop()

    def _make(self, tmp_path: Path, bad: bool) -> GcontactsConnector:
        if tmp_path not in self.worlds:
            server = FakePeople(now=NOW).start()
            generate_contacts(server, 14)
            if bad:
                server.contacts.add_person(None, [], [])  # nothing to know anyone by
            self.worlds[tmp_path] = (server, account(server, tmp_path, page_size=7))
        return connector(self.worlds[tmp_path][1], batch_size=5)

    def make_connector(self, tmp_path: Path) -> Connector:
        return self._make(tmp_path, False)

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
        return self._make(tmp_path, True)

    def make_connector_without_access(self, tmp_path: Path) -> Connector:
        acct = GcontactsAccount(name="book", kind="gcontacts", token_file=str(tmp_path / "n"))
        return connector(acct)


# -- mapping ---------------------------------------------------------------------------------


def test_birthdays_take_vcards_form() -> None:
    assert birthday_text([{"date": {"year": 1985, "month": 4, "day": 15}}]) == "1985-04-15"
    assert birthday_text([{"date": {"month": 4, "day": 15}}]) == "--04-15"
    assert birthday_text([{"date": {"month": 2, "day": 30}}]) is None
    assert birthday_text([{"text": "sometime"}]) is None
    assert birthday_text([{"date": {"year": 1985, "month": 4, "day": 15}}]) == parse_birthday(
        "1985-04-15"
    )
    assert birthday_text([{"date": {"month": 4, "day": 15}}]) == parse_birthday("--0415")


def test_own_contact_organisation_and_empty_contact() -> None:
    me = Me(frozenset({ME}), frozenset({"+14155550000"}), "US")
    mine = {"resourceName": "people/c1", "names": [{"displayName": "Me"}],
            "emailAddresses": [{"value": "ME@example.com"}]}  # fmt: skip
    skip = person_card(mine, account="book", me=me, groups={})
    assert getattr(skip, "reason", "").startswith("your own contact")
    org = {"resourceName": "people/c2", "organizations": [{"name": "Acme Plumbing"}],
           "phoneNumbers": [{"value": "(415) 555-0101"}]}  # fmt: skip
    card = person_card(org, account="book", me=me, groups={})
    assert getattr(card, "is_org", False) and getattr(card, "name", "") == "Acme Plumbing"
    assert getattr(card, "phones", ()) == ("+14155550101",)
    empty = person_card({"resourceName": "people/c3"}, account="book", me=me, groups={})
    assert getattr(empty, "reason", "") == "contact has no name, email or phone"


# -- ground truth --------------------------------------------------------------------------


def test_cards_tiers_and_birthdays_match_the_book(
    fake: FakePeople, tmp_path: Path, store: Store
) -> None:
    truth = generate_contacts(fake, 40)
    batches = sync(store, connector(account(fake, tmp_path)))
    cards = {c.key.split(":", 2)[2]: c for b in batches for c in b.cards}
    assert set(cards) == set(truth.contacts)
    for rn, expected in truth.contacts.items():
        card = cards[rn]
        assert card.emails == expected.emails and card.phones == expected.phones
        assert card.is_org == expected.organisation
        if expected.birthday is not None:
            year, month, day = expected.birthday
            assert card.birthday == (f"{year:04d}" if year else "-") + f"-{month:02d}-{day:02d}"
        groups = {g for g in expected.groups}
        assert groups <= set(card.categories)
        assert "My Contacts" not in card.categories
        assert ("Starred" in card.categories) == expected.starred
    assert stored_tiers(store) == truth.tiers()
    assert batches[-1].sweep is not None
    # Nightly, unchanged: the groups, and one connections.list.
    before = fake.stats.attempts.copy()
    again = sync(store, connector(account(fake, tmp_path)))
    assert dict(fake.stats.attempts - before) == {
        "contactGroups.list": 1,
        "people.connections.list": 1,
    }
    assert not any(b.cards or b.removed_keys for b in again)


def _book(fake: FakePeople, tmp_path: Path, store: Store) -> tuple[ContactsTruth, GcontactsAccount]:
    truth = generate_contacts(fake, 30)
    acct = account(fake, tmp_path, page_size=9)
    sync(store, connector(acct, batch_size=4))
    return truth, acct


def test_changes_and_deletions_reach_the_store(
    fake: FakePeople, tmp_path: Path, store: Store
) -> None:
    truth, acct = _book(fake, tmp_path, store)
    change = churn(fake, truth)
    batches = sync(store, connector(acct))
    assert {k.split(":", 2)[2] for b in batches for k in b.removed_keys} == change.deleted
    with store.session() as session:
        keys = {k.split(":", 2)[2] for k in session.scalars(select(CardRow.key))}
    assert keys == set(truth.contacts)
    assert stored_tiers(store) == truth.tiers()


def test_expired_token_starts_a_full_round_that_sweeps(
    fake: FakePeople, tmp_path: Path, store: Store
) -> None:
    truth, acct = _book(fake, tmp_path, store)
    gone = sorted(truth.contacts)[0]
    fake.clock.advance(7 * 86400 + 1)  # People's sync tokens live seven days
    del fake.contacts.persons[gone]  # purged: no tombstone will ever come
    del truth.contacts[gone]
    batches = sync(store, connector(acct, batch_size=4))
    assert any("sync token expired" in n for b in batches for n in b.notes)
    assert [b.sweep is not None for b in batches][-1] and len({b.round for b in batches}) == 1
    with store.session() as session:
        keys = {k.split(":", 2)[2] for k in session.scalars(select(CardRow.key))}
    assert keys == set(truth.contacts)


def test_renamed_group_rereads_every_card(fake: FakePeople, tmp_path: Path, store: Store) -> None:
    truth, acct = _book(fake, tmp_path, store)
    fake.contacts.rename_group(truth.groups["Network"], "Inner circle")
    batches = sync(store, connector(acct))
    assert any("contact groups changed" in n for b in batches for n in b.notes)
    network = {e for c in truth.contacts.values() if c.tier == "network" for e in c.emails}
    tiers = stored_tiers(store)
    assert network and all(tiers[e] == "inner" for e in network)


# -- faults -----------------------------------------------------------------------------------


def test_storms_5xx_and_token_expiry(fake: FakePeople, tmp_path: Path) -> None:
    generate_contacts(fake, 20)
    acct = account(fake, tmp_path, page_size=5)
    sleeps = Sleeps()
    fake.storm(2, retry_after=30, methods={"people.connections.list"})
    fake.burst_5xx(1, methods={"contactGroups.list"})
    fake.expire_access_tokens_after(3)
    keys = keys_of(drain(connector(acct, sleep=sleeps).batches(None)))
    assert len(keys) == 22
    assert sleeps.waits[1:] == [30.0, 30.0] and sleeps.waits[0] <= 1.0
    assert fake.oauth.stats.refreshes == 1
    saved = json.loads(acct.token_path().read_text())
    assert saved["token_uri"] == fake.token_uri


def test_missing_contacts_scope_names_the_fix(tmp_path: Path) -> None:
    scopes = ["https://www.googleapis.com/auth/gmail.metadata"]
    with (
        FakePeople(now=NOW, scopes=scopes) as fake,
        pytest.raises(AuthError, match=r"contacts\.readonly.*keepwarm auth google book"),
    ):
        drain(connector(account(fake, tmp_path)).batches(None))


def test_source_declaration(tmp_path: Path) -> None:
    acct = GcontactsAccount(name="book", kind="gcontacts", token_file=str(tmp_path / "t.json"))
    assert limit_key(acct).startswith("google-people-t-")
    conn = build(acct, Me(), BuildOptions(batch_size=9))
    assert isinstance(conn, GcontactsConnector) and conn.batch_size == 9
    assert acct.service_endpoint() == "https://people.googleapis.com/"
