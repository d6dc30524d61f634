"""Outlook mail (include_mail): Sent Items and Inbox headers through Graph delta, proven against
the fake Graph with real msal, real HTTPS and the real store, judged by the shared rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import Me, Window
from connectors.outlook.auth import delegated_scopes
from connectors.outlook.connector import OutlookConnector
from connectors.outlook.mail import HEADER_FIELDS, message_interaction
from connectors.outlook.settings import OutlookAccount
from models.config import RulesConfig
from models.records import Interaction
from models.rules import counts_as_contact
from models.schema import InteractionRow, ParticipantRow
from models.store import Store
from tests.connectors import test_outlook as base
from tests.connectors.contract import ConnectorContract
from tests.connectors.test_outlook import NOW, OWNER, World, connector, sync
from tests.fakes.graph_server import SyntheticCalendar, graph_message

ca = base.ca  # the fixtures, shared with the main Outlook test module
world = base.world
ALIAS = "ada.lovelace@firm.example"  # what Graph reports as the mailbox's address
PREFIX = "outlook:work:mail:"
Row = tuple[str, str, bool, bool, frozenset[tuple[str, str]]]


def mailbox(world: World, user: str = OWNER, alias: str = ALIAS) -> None:
    """A small mailbox whose outcome under the contact rules is known (see `TRUTH`)."""
    world.graph.mailbox(user, mail=alias)
    day = NOW - timedelta(days=20)

    def sent(mid: str, **kw: Any) -> None:
        world.graph.put_message(user, "sentitems", graph_message(mid, at=day, **kw))

    def inbox(mid: str, **kw: Any) -> None:
        world.graph.put_message(user, "inbox", graph_message(mid, at=day, **kw))

    sent("s1", sender=user, to=["bob@partner.example"], cc=["carol@partner.example", alias])
    sent("s2", sender=alias, to=["dave@partner.example"], bcc=["erin@partner.example"])
    sent("s3", sender=user, to=["bob@partner.example"], draft=True)
    inbox("i1", sender="frank@partner.example", to=[user])
    inbox("i2", sender="deals@shop.example", to=[user], classification="other")
    inbox("i3", sender="grace@partner.example", to=[alias], cc=[user, "heidi@partner.example"])
    inbox("i4", sender="noreply@service.example", to=[user])
    inbox("i5", sender="ivan@partner.example", to=[user], classification="other")
    old = graph_message(
        "i6", sender="judy@partner.example", to=[user], at=NOW - timedelta(days=6 * 365)
    )
    world.graph.put_message(user, "inbox", old)  # older than lookback_days: never read


# key → (direction, occurred folder, bulk, automated, {(participant, role)})
TRUTH: dict[str, Row] = {
    "sent:s1": (
        "outbound",
        "sent",
        False,
        False,
        frozenset({("bob@partner.example", "to"), ("carol@partner.example", "cc")}),
    ),
    "sent:s2": (
        "outbound",
        "sent",
        False,
        False,
        frozenset({("dave@partner.example", "to"), ("erin@partner.example", "bcc")}),
    ),
    "inbox:i1": ("inbound", "inbox", False, False, frozenset({("frank@partner.example", "from")})),
    "inbox:i2": ("inbound", "inbox", True, False, frozenset({("deals@shop.example", "from")})),
    "inbox:i3": (
        "inbound",
        "inbox",
        False,
        False,
        frozenset({("grace@partner.example", "from"), ("heidi@partner.example", "cc")}),
    ),
    "inbox:i4": ("inbound", "inbox", False, True, frozenset({("noreply@service.example", "from")})),
    "inbox:i5": ("inbound", "inbox", True, False, frozenset({("ivan@partner.example", "from")})),
}
# what counts as contact: outbound to/cc/bcc, inbound from a person (not bulk, not automated)
CONTACTS = {
    ("sent:s1", "bob@partner.example"),
    ("sent:s1", "carol@partner.example"),
    ("sent:s2", "dave@partner.example"),
    ("sent:s2", "erin@partner.example"),
    ("inbox:i1", "frank@partner.example"),
    ("inbox:i3", "grace@partner.example"),
}


def account(world: World, **extra: Any) -> OutlookAccount:
    return world.delegated(include_mail=True, **extra)


def mail_table(store: Store, prefix: str = PREFIX) -> dict[str, Row]:
    out: dict[str, Row] = {}
    with store.session() as session:
        rows = session.scalars(select(InteractionRow).where(InteractionRow.key.like(prefix + "%")))
        for row in rows:
            people = session.execute(
                select(ParticipantRow.value, ParticipantRow.role).where(
                    ParticipantRow.interaction_id == row.id
                )
            )
            short = row.key.removeprefix(prefix)
            out[short] = (
                row.direction,
                short.split(":")[0],
                row.bulk,
                row.automated,
                frozenset((v, r) for v, r in people),
            )
    return out


def contacts(store: Store, prefix: str = PREFIX) -> set[tuple[str, str]]:
    with store.session() as session:
        found = session.execute(
            select(InteractionRow.key, ParticipantRow.value)
            .join(ParticipantRow, ParticipantRow.interaction_id == InteractionRow.id)
            .where(InteractionRow.key.like(prefix + "%"), counts_as_contact(RulesConfig()))
        )
        return {(k.removeprefix(prefix), v) for k, v in found}


# -- the contract, with calendar and both folders in one cursor -------------------------


class TestOutlookMailContract(ConnectorContract):
    source = "outlook"
    backfill_cursor_absent = "Graph delta links are bound to their window (the summary says so)"
    access_fix = "keepwarm auth outlook work"

    def make_connector_without_access(self, tmp_path: Path) -> OutlookConnector:
        account = self.world.delegated("work", "nocache@firm.example")
        account.token_cache_path().unlink()
        return connector(account)

    @pytest.fixture(autouse=True)
    def _world(self, world: World) -> None:
        self.world = world
        self.accounts: dict[Path, OutlookAccount] = {}

    def _make(self, tmp_path: Path, bad: bool) -> OutlookConnector:
        if tmp_path not in self.accounts:
            user = f"user{len(self.accounts)}@firm.example"
            SyntheticCalendar(self.world.graph, user, NOW).generate(
                series=1, occurrences=3, singles=3
            )
            mailbox(self.world, user, alias=user)
            if bad:
                broken = graph_message("broken", sender="x@partner.example", to=[user], at=NOW)
                del broken["receivedDateTime"], broken["sentDateTime"]
                self.world.graph.put_message(user, "inbox", broken)
            self.world.tmp = tmp_path
            self.accounts[tmp_path] = account(self.world, name="work", user=user)
        return connector(self.accounts[tmp_path], batch_size=3)

    def make_connector(self, tmp_path: Path) -> OutlookConnector:
        return self._make(tmp_path, False)

    def make_connector_with_bad_record(self, tmp_path: Path) -> OutlookConnector:
        return self._make(tmp_path, True)


# -- end to end -------------------------------------------------------------------------


def test_small_mailbox_matches_ground_truth(world: World) -> None:
    mailbox(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    acct = account(world)
    assert any(s.endswith("/Mail.ReadBasic") for s in delegated_scopes(acct))
    batches = list(connector(acct, batch_size=2).batches(None))
    for batch in batches:
        store.apply_batch("work", "outlook", batch, RulesConfig())
    assert mail_table(store) == TRUTH
    assert contacts(store) == CONTACTS
    # me and the alias Graph reports never become participants
    people = {v for row in TRUTH.values() for v, _ in row[4]}
    assert OWNER not in people and ALIAS not in people
    # the draft is a Skip, never a record
    assert [s.where for b in batches for s in b.skipped] == [f"{PREFIX}sent:s3"]
    # header fields only: no bodies, no subjects unless asked
    assert world.graph.mail_selects and all(
        sorted(sel) == sorted(HEADER_FIELDS) for sel in world.graph.mail_selects
    )
    with store.session() as session:
        assert not any(session.scalars(select(InteractionRow.subject)))
    # each folder's initial round sweeps its own prefix, the calendar its own
    sweeps = [b.sweep.prefix for b in batches if b.sweep is not None]
    assert sweeps == ["outlook:work:cal:", f"{PREFIX}sent:", f"{PREFIX}inbox:"]
    cursor = json.loads(batches[-1].cursor or "")
    assert sorted(cursor["mail"]) == ["inbox", "sent"]
    assert all(s["delta"] for s in cursor["mail"].values())


def test_replay_adds_new_removes_deleted_and_survives_throttling(world: World) -> None:
    mailbox(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    acct = account(world)
    sync(store, connector(acct, batch_size=2))
    day = NOW - timedelta(days=1)
    reply = graph_message("i7", sender="bob@partner.example", to=[OWNER], at=day)
    world.graph.put_message(OWNER, "inbox", reply)
    world.graph.put_message(
        OWNER, "sentitems", graph_message("s4", sender=OWNER, to=["kim@partner.example"], at=day)
    )
    world.graph.delete_message(OWNER, "sentitems", "s1")
    world.graph.fail_next(3, 429, retry_after=0.02)
    before = world.graph.requests
    sync(store, connector(acct, batch_size=2))
    held = mail_table(store)
    assert "sent:s1" not in held
    assert held["inbox:i7"][0] == "inbound" and held["sent:s4"][0] == "outbound"
    assert contacts(store) == (CONTACTS - {("sent:s1", "bob@partner.example")}) - {
        ("sent:s1", "carol@partner.example")
    } | {("inbox:i7", "bob@partner.example"), ("sent:s4", "kim@partner.example")}
    assert world.graph.status_counts.get(429) == 3
    # a replay: the profile, one calendar page, one page per folder (+ the retried 429s)
    assert world.graph.requests - before == 4 + 3
    assert world.graph.violations == 0


def test_messages_deleted_while_the_token_was_expired_are_swept(world: World) -> None:
    mailbox(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    acct = account(world)
    sync(store, connector(acct, batch_size=3))
    world.graph.delete_message(OWNER, "inbox", "i1")
    world.graph.delete_message(OWNER, "sentitems", "s2")
    world.graph.expire_delta_tokens()
    sync(store, connector(acct, batch_size=3))
    expected = {k: v for k, v in TRUTH.items() if k not in {"inbox:i1", "sent:s2"}}
    assert mail_table(store) == expected
    assert world.graph.status_counts.get(410) == 3  # calendar, Sent Items, Inbox


def test_backfill_window_reads_and_sweeps_only_that_window(world: World) -> None:
    mailbox(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    acct = account(world)
    sync(store, connector(acct, batch_size=3))
    recent = graph_message("i8", sender="leo@partner.example", to=[OWNER], at=NOW)
    world.graph.put_message(OWNER, "inbox", recent)
    world.graph.delete_message(OWNER, "inbox", "i3")  # inside the window, unseen (fresh read)
    since, until = NOW - timedelta(days=30), NOW - timedelta(days=10)
    state = store.sync_state("work")
    assert state is not None
    batches = list(connector(acct, batch_size=3).batches(state.cursor, Window(since, until)))
    mail = [i for b in batches for i in b.interactions if i.key.startswith(PREFIX)]
    assert mail and all(since <= i.occurred_at < until for i in mail)
    for batch in batches:
        store.apply_batch("work", "outlook", batch, RulesConfig())
    assert "inbox:i3" not in mail_table(store)
    # the next nightly run does not replay the bounded round: it reads again, i8 included
    sync(store, connector(acct, batch_size=3))
    assert "inbox:i8" in mail_table(store)


def test_org_mode_reads_each_users_folders(world: World) -> None:
    users = ["ada@firm.example", "grace@firm.example"]
    for user in users:
        mailbox(world, user, alias=user)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    acct = world.app("org", users, include_mail=True)
    sync(store, connector(acct, batch_size=3))
    for user in users:
        table = mail_table(store, f"outlook:org:{user}:mail:")
        assert set(table) == set(TRUTH)
        assert all(user not in {v for v, _ in row[4]} for row in table.values())
    state = store.sync_state("org")
    assert state is not None and state.cursor
    assert all(
        sorted(s["mail"]) == ["inbox", "sent"] for s in json.loads(state.cursor)["users"].values()
    )


def test_subjects_only_when_asked(world: World) -> None:
    mailbox(world)
    acct = account(world)
    me = Me(emails=frozenset({OWNER}), store_subjects=True)
    conn = OutlookConnector(acct, me, 10, now=lambda: NOW, backoff_base=0.01)
    records = [i for b in conn.batches(None) for i in b.interactions if i.key.startswith(PREFIX)]
    assert records and all(r.subject == f"Message {r.key.rsplit(':', 1)[1]}" for r in records)
    assert all("subject" in sel for sel in world.graph.mail_selects)


def test_message_mapping_edges() -> None:
    me = Me(emails=frozenset({OWNER}))
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    message = graph_message("m1", sender="Bob@Partner.example", to=[OWNER], at=at)
    message["from"]["emailAddress"]["name"] = 'Bob "the, builder" Smith'
    message["ccRecipients"] = [{"emailAddress": {"name": "no address"}}]
    record = message_interaction(message, key="k", account="work", me=me, sent=False)
    assert isinstance(record, Interaction)
    assert record.occurred_at == at + timedelta(seconds=2)  # inbox: receivedDateTime
    assert [(p.value, p.name) for p in record.participants] == [
        ("bob@partner.example", 'Bob "the, builder" Smith')
    ]
    outbound = message_interaction(message, key="k", account="work", me=me, sent=True)
    assert isinstance(outbound, Interaction) and outbound.occurred_at == at  # sentDateTime
    other_sent = dict(message, inferenceClassification="other")
    kept = message_interaction(other_sent, key="k", account="work", me=me, sent=True)
    assert isinstance(kept, Interaction) and not kept.bulk  # "other" marks inbox mail only
