"""Outlook connector against a faithful loopback fake: real msal, real HTTPS, real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from sqlalchemy import select

from connectors.base import Me
from connectors.outlook.auth import run_auth
from connectors.outlook.connector import OutlookConnector
from connectors.outlook.settings import OutlookAccount
from models.config import RulesConfig
from models.records import Batch, Interaction
from models.schema import InteractionRow, ParticipantRow
from models.store import Store
from tests.connectors.contract import ConnectorContract
from tests.fakes.authority import FakeAuthority, write_ca
from tests.fakes.graph_server import FakeGraph, Spec, SyntheticCalendar, Truth

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
OWNER = "ada@firm.example"
APP_ID = "org-app"
SECRET = "s3cret"


@dataclass
class World:
    ca: trustme.CA
    authority: FakeAuthority
    graph: FakeGraph
    tmp: Path

    def delegated(self, name: str = "work", user: str = OWNER, **extra: Any) -> OutlookAccount:
        self.authority.add_user(user)
        self.graph.mailbox(user)
        account = OutlookAccount(
            name=name,
            kind="outlook",
            authority=self.authority.authority,
            graph_endpoint=self.graph.endpoint,
            client_id="desktop-app",
            token_cache=str(self.tmp / f"{name}.msal.json"),
            **extra,
        )
        self.authority.signed_in = user
        run_auth(account, echo=lambda _msg: None)
        return account

    def app(self, name: str, users: list[str], **extra: Any) -> OutlookAccount:
        for user in users:
            self.graph.mailbox(user)
        return OutlookAccount(
            name=name,
            kind="outlook",
            mode="app",
            authority=f"{self.authority.url}/common",
            tenant_id=self.authority.tenant,
            graph_endpoint=self.graph.endpoint,
            client_id=APP_ID,
            client_secret_env="TEST_GRAPH_SECRET",
            users=users,
            **extra,
        )


def connector(account: OutlookAccount, batch_size: int = 50, **kw: Any) -> OutlookConnector:
    me = Me(emails=frozenset({OWNER}))
    return OutlookConnector(
        account, me, batch_size, now=kw.pop("now", lambda: NOW), backoff_base=0.01, **kw
    )


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def world(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(write_ca(ca, tmp_path / "ca.pem")))
    monkeypatch.setenv("TEST_GRAPH_SECRET", SECRET)
    authority = FakeAuthority(ca, client_secrets={APP_ID: SECRET})
    graph = FakeGraph(authority, ca)
    yield World(ca, authority, graph, tmp_path)
    graph.close()
    authority.close()


def sync(store: Store, conn: OutlookConnector) -> None:
    state = store.sync_state(conn.account)
    for batch in conn.batches(state.cursor if state else None):
        store.apply_batch(conn.account, "outlook", batch, RulesConfig())


def table(store: Store, prefix: str) -> dict[str, Truth]:
    """What the store holds, judged by the same rules the ground truth states."""
    out: dict[str, Truth] = {}
    with store.session() as session:
        rows = session.scalars(select(InteractionRow).where(InteractionRow.key.like(prefix + "%")))
        for row in rows:
            start = row.occurred_at.replace(tzinfo=UTC)
            live = not row.cancelled and not row.declined
            counts = live and start <= NOW and row.group_size <= RulesConfig().max_meeting_size
            people = frozenset(
                session.scalars(
                    select(ParticipantRow.value).where(
                        ParticipantRow.interaction_id == row.id, ParticipantRow.declined.is_(False)
                    )
                )
            )
            out[row.key.removeprefix(prefix)] = Truth(
                start, counts, live and start > NOW, people if counts else frozenset()
            )
    return out


def calendar(world: World, owner: str = OWNER, size: str = "small") -> SyntheticCalendar:
    cal = SyntheticCalendar(world.graph, owner, NOW)
    if size == "small":
        cal.generate(series=3, occurrences=8, singles=30)
    else:
        cal.generate(series=6, occurrences=12, singles=80)
    return cal


def change_between_runs(cal: SyntheticCalendar, delete: bool = True) -> None:
    """Modify, cancel, decline, move, delete and add: what a week of calendar life does."""
    ids = sorted(cal.specs)
    first, second, third, fourth, fifth = ids[:5]
    cal.change(first, cancelled=True)
    spec = cal.specs[second]
    cal.change(
        second,
        attendees=[(a, t, "declined") for a, t, _ in spec.attendees[:1]] + spec.attendees[1:],
    )
    cal.change(third, start=cal.specs[third].start + timedelta(hours=3))
    if delete:
        cal.delete(fourth)
    if cal.specs[fifth].organizer != cal.owner:
        cal.change(fifth, my_response="declined")
    cal.put(
        Spec(
            NOW - timedelta(days=1),
            "newfriend@partner.example",
            [(cal.owner, "required", "accepted")],
        )
    )
    cal.put(
        Spec(NOW + timedelta(days=10), cal.owner, [("future@partner.example", "required", "none")])
    )


# -- the contract -------------------------------------------------------------------


class TestOutlookContract(ConnectorContract):
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
            n = len(self.accounts)
            user = f"user{n}@firm.example"
            cal = SyntheticCalendar(self.world.graph, user, NOW)
            cal.generate(series=1, occurrences=6, singles=12)
            if bad:
                self.world.graph.put(user, {"id": "broken-1", "start": {"timeZone": "UTC"}})
            self.world.tmp = tmp_path
            self.accounts[tmp_path] = self.world.delegated("work", user)
        return connector(self.accounts[tmp_path], batch_size=5)

    def make_connector(self, tmp_path: Path) -> OutlookConnector:
        return self._make(tmp_path, False)

    def make_connector_with_bad_record(self, tmp_path: Path) -> OutlookConnector:
        return self._make(tmp_path, True)


# -- end to end ---------------------------------------------------------------------


def test_first_then_nightly_sync_match_ground_truth(world: World) -> None:
    cal = calendar(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    conn = connector(world.delegated(), batch_size=20)
    sync(store, conn)
    assert table(store, "outlook:work:cal:") == cal.truth()
    assert world.graph.utc_missing == 0
    truth = cal.truth()
    assert any(t.planned for t in truth.values()) and any(t.counts for t in truth.values())
    assert any(not t.counts and not t.planned for t in truth.values())
    change_between_runs(cal)
    sync(store, connector(conn.config, batch_size=20))
    assert table(store, "outlook:work:cal:") == cal.truth()
    assert world.graph.violations == 0


def test_faults_end_in_the_same_table(world: World) -> None:
    cal = calendar(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    account = world.delegated()
    world.graph.fail_next(6, 429, retry_after=0.05)
    sync(store, connector(account, batch_size=7))
    world.graph.fail_next(4, 503, retry_after=None)
    world.graph.expire_access_tokens_after(3)
    # Events deleted while the delta token was expired: the resync round (410) reports no
    # deletions, so only its sweep can remove them.
    change_between_runs(cal, delete=True)
    gone = sorted(cal.specs)[5:8]
    for event_id in gone:
        cal.delete(event_id)
    world.graph.expire_delta_tokens()
    sync(store, connector(account, batch_size=7))
    held = table(store, "outlook:work:cal:")
    assert not set(gone) & set(held)
    assert held == cal.truth()
    assert world.graph.status_counts.get(429) == 6
    assert world.graph.status_counts.get(503) == 4
    assert world.graph.status_counts.get(410) == 1
    assert world.graph.status_counts.get(401, 0) >= 1
    assert "refresh_token" in world.authority.grants
    assert world.graph.violations == 0 and world.graph.peak <= 4


def test_rounds_mark_every_batch_and_only_an_initial_round_sweeps(world: World) -> None:
    cal = calendar(world)
    account = world.delegated()
    first = list(connector(account, batch_size=20).batches(None))
    rounds = {b.round for b in first}
    assert len(rounds) == 1 and None not in rounds
    assert [b.sweep is not None for b in first] == [False] * (len(first) - 1) + [True]
    sweep = first[-1].sweep
    assert sweep is not None and sweep.prefix == "outlook:work:cal:"
    assert sweep.since == datetime(2021, 6, 16, tzinfo=UTC)
    assert sweep.until == datetime(2026, 9, 13, tzinfo=UTC)
    # resuming mid-round keeps the round's id
    resumed = list(connector(account, batch_size=20).batches(first[0].cursor))
    assert {b.round for b in resumed} == rounds and resumed[-1].sweep is not None
    change_between_runs(cal)
    replay = list(connector(account, batch_size=20).batches(first[-1].cursor))
    assert {b.round for b in replay} == rounds  # a replay of that round carries its id
    assert all(b.sweep is None for b in replay)  # and only carries changes: no sweep
    world.graph.expire_delta_tokens()
    resync = list(connector(account, batch_size=20).batches(replay[-1].cursor))
    assert resync[-1].sweep is not None and resync[-1].round not in rounds


def test_pre_round_cursor_sweeps_keys_from_before_the_cal_segment(world: World) -> None:
    """A cursor saved before rounds existed: the first round also clears the old key space."""
    calendar(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    conn = connector(world.delegated(), batch_size=20)
    sync(store, conn)
    state = store.sync_state("work")
    assert state is not None and state.cursor
    legacy = json.loads(state.cursor)["calendar"]
    legacy.pop("round"), legacy.pop("initial")
    old_key = "outlook:work:AAMkOldStyleKey"
    record = Interaction(
        old_key, "outlook", "work", NOW - timedelta(days=3), "meeting", "mutual", (), 1
    )
    store.apply_batch("work", "outlook", Batch([record], cursor=json.dumps(legacy)), RulesConfig())
    sync(store, connector(conn.config, batch_size=20))
    with store.session() as session:
        keys = set(session.scalars(select(InteractionRow.key)))
    assert old_key not in keys and keys and all(k.startswith("outlook:work:cal:") for k in keys)
