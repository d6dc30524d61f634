"""Outlook: org mode, the per-app limiter, auth failures, window drift and backfill, mapping."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Me, Window
from connectors.errors import AuthError
from connectors.outlook.http import CASession
from connectors.outlook.mapping import BadEvent, event_interaction
from models.config import RulesConfig
from models.store import Store
from tests.connectors import test_outlook as base
from tests.connectors.test_outlook import NOW, OWNER, World, calendar, connector, sync, table
from tests.fakes.graph_server import SyntheticCalendar

ca = base.ca  # the fixtures, shared with the main Outlook test module
world = base.world
USERS = ["ada@firm.example", "grace@firm.example", "linus@firm.example"]


def test_org_mode_syncs_three_users_with_one_app_token(world: World) -> None:
    cals = {u: SyntheticCalendar(world.graph, u, NOW) for u in USERS}
    for n, cal in enumerate(cals.values()):
        cal.generate(series=1, occurrences=6, singles=10 + n, seed=n)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    account = world.app("org", USERS)
    sync(store, connector(account, batch_size=4))
    for user, cal in cals.items():
        assert table(store, f"outlook:org:{user}:cal:") == cal.truth()
    assert world.authority.grants.count("client_credentials") == 1
    # nightly: changes in one mailbox only
    cals[USERS[1]].delete(sorted(cals[USERS[1]].specs)[0])
    sync(store, connector(account, batch_size=4))
    for user, cal in cals.items():
        assert table(store, f"outlook:org:{user}:cal:") == cal.truth()
    state = store.sync_state("org")
    assert state is not None and state.cursor
    cursor = json.loads(state.cursor)
    assert sorted(cursor["users"]) == USERS
    # per-user rounds and sweeps: one user's round never sweeps another's meetings
    world.graph.expire_delta_tokens()
    batches = list(connector(account, batch_size=4).batches(state.cursor))
    sweeps = {b.sweep.prefix: b.round for b in batches if b.sweep is not None}
    assert sorted(sweeps) == [f"outlook:org:{u}:cal:" for u in USERS]
    assert len(set(sweeps.values())) == 3
    for batch in batches:
        owner = next(u for u in USERS if all(f":{u}:" in i.key for i in batch.interactions))
        assert batch.round == sweeps[f"outlook:org:{owner}:cal:"]
    assert all(
        s["calendar"]["delta"] and not s["calendar"]["next"] for s in cursor["users"].values()
    )


def test_never_more_than_four_in_flight_per_app_across_accounts(world: World) -> None:
    world.graph.latency = 0.02
    users = [f"u{n}@firm.example" for n in range(8)]
    for n, user in enumerate(users):
        SyntheticCalendar(world.graph, user, NOW).generate(
            series=1, occurrences=4, singles=6, seed=n
        )
    world.graph.fail_next(3, 429, retry_after=0.05)
    accounts = [world.app("org-a", users[:4]), world.app("org-b", users[4:])]
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(account: Any) -> None:
        try:
            batches = list(connector(account, batch_size=3).batches(None))
            results[account.name] = sum(len(b.interactions) for b in batches)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results["org-a"] > 0 and results["org-b"] > 0
    assert world.graph.violations == 0
    assert world.graph.peak == 4  # the limit was reached, never passed


def test_token_cache_is_private_and_refresh_is_silent(world: World) -> None:
    calendar(world)
    account = world.delegated()
    path = account.token_cache_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    world.authority.expire_access_tokens()
    batches = list(connector(account).batches(None))
    assert sum(len(b.interactions) for b in batches) > 0
    assert "refresh_token" in world.authority.grants
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_dead_refresh_token_stops_only_that_account(world: World) -> None:
    calendar(world)
    account = world.delegated()
    other = world.app("org", [OWNER])
    world.authority.revoke_refresh_tokens()
    with pytest.raises(AuthError, match="keepwarm auth outlook work"):
        list(connector(account).batches(None))
    assert list(connector(other).batches(None))  # the org account goes on


def test_missing_cache_and_bad_secret_are_auth_errors(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = world.delegated()
    account.token_cache_path().unlink()
    with pytest.raises(AuthError, match="keepwarm auth outlook work"):
        list(connector(account).batches(None))
    monkeypatch.setenv("TEST_GRAPH_SECRET", "wrong")
    with pytest.raises(AuthError, match="TEST_GRAPH_SECRET"):
        list(connector(world.app("org", [OWNER])).batches(None))
    monkeypatch.delenv("TEST_GRAPH_SECRET")
    with pytest.raises(AuthError, match="TEST_GRAPH_SECRET"):
        list(connector(world.app("org", [OWNER])).batches(None))


def _cal(cursor: str | None) -> dict[str, Any]:
    """The calendar's round state inside a delegated cursor."""
    state: dict[str, Any] = json.loads(cursor or "{}")["calendar"]
    return state


def test_drifted_window_starts_a_new_round_and_backfill_reads_its_window(world: World) -> None:
    cal = calendar(world)
    account = world.delegated()
    first = list(connector(account).batches(None))
    cursor = first[-1].cursor
    assert cursor is not None
    assert json.loads(cursor)["calendar"]["delta"]
    later = NOW + timedelta(days=3)
    replay = list(connector(account, now=lambda: later).batches(cursor))
    assert _cal(replay[-1].cursor)["window"] == _cal(cursor)["window"]
    assert sum(len(b.interactions) for b in replay) == 0
    drifted = NOW + timedelta(days=30)
    again = list(connector(account, now=lambda: drifted).batches(cursor))
    assert _cal(again[-1].cursor)["window"][0].startswith("2021-07-16")
    assert sum(len(b.interactions) for b in again) > 0
    since, until = NOW - timedelta(days=400), NOW - timedelta(days=100)
    backfill = list(connector(account).batches(cursor, Window(since, until)))
    got = {i.key.rsplit(":", 1)[1] for b in backfill for i in b.interactions}
    want = {k for k, t in cal.truth().items() if since <= t.start < until}
    assert want <= got and got  # occurrences overlapping the edges may come too


def test_ca_bundle_wins_over_curl_ca_bundle(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = CASession()
    assert str(session.verify).endswith("ca.pem")
    assert session.get(f"{world.authority.authority}/v2.0/.well-known/openid-configuration").ok


def _event(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "e1",
        "type": "singleInstance",
        "start": {"dateTime": "2026-03-02T10:30:00.0000000", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"address": "Bob@Partner.example", "name": "Bob"}},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "accepted"},
                "emailAddress": {"address": OWNER},
            },
            {
                "type": "resource",
                "status": {"response": "accepted"},
                "emailAddress": {"address": "b1@firm.example", "name": "Board"},
            },
            {
                "type": "optional",
                "status": {"response": "declined"},
                "emailAddress": {"address": "carol@partner.example"},
            },
        ],
        "responseStatus": {"response": "tentativelyAccepted"},
        "isOrganizer": False,
    }
    return base | over


def test_mapping_rules() -> None:
    me = Me(emails=frozenset({OWNER}))
    record = event_interaction(_event(), account="work", me=me)
    assert record is not None
    assert record.key == "outlook:work:cal:e1"
    assert record.occurred_at == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert {(p.value, p.role, p.declined) for p in record.participants} == {
        ("bob@partner.example", "organizer", False),
        ("carol@partner.example", "attendee", True),
    }
    assert not record.declined and not record.cancelled
    declined = event_interaction(
        _event(responseStatus={"response": "declined"}, isCancelled=True), account="w", me=me
    )
    assert declined is not None and declined.declined and declined.cancelled
    all_day = event_interaction(
        _event(
            isAllDay=True, start={"dateTime": "2026-03-02T00:00:00", "timeZone": "Europe/Paris"}
        ),
        account="w",
        me=me,
    )
    assert all_day is not None and all_day.occurred_at == datetime(2026, 3, 2, tzinfo=UTC)
    paris = event_interaction(
        _event(start={"dateTime": "2026-03-02T10:30:00", "timeZone": "Europe/Paris"}),
        account="w",
        me=me,
    )
    assert paris is not None and paris.occurred_at.hour == 9
    assert event_interaction(_event(type="seriesMaster"), account="w", me=me) is None
    org = event_interaction(_event(), account="o", me=me, user="Ada@Firm.example")
    assert org is not None and org.key == "outlook:o:ada@firm.example:cal:e1"
    with pytest.raises(BadEvent):
        event_interaction(_event(start={"timeZone": "UTC"}), account="w", me=me)
    with pytest.raises(BadEvent):
        event_interaction(
            _event(start={"dateTime": "2026-03-02T10:30:00", "timeZone": "Mars Standard Time"}),
            account="w",
            me=me,
        )


def test_backfill_sweeps_only_its_window_and_drift_sweeps_the_new_one(world: World) -> None:
    cal = calendar(world)
    store = Store(f"sqlite:///{world.tmp / 'kw.db'}")
    account = world.delegated()
    sync(store, connector(account, batch_size=20))
    since, until = NOW - timedelta(days=400), NOW - timedelta(days=100)
    truth = cal.truth()
    inside = next(
        k for k, t in sorted(truth.items()) if since + timedelta(days=2) <= t.start < until
    )
    outside = next(k for k, t in sorted(truth.items()) if t.start >= until + timedelta(days=2))
    cal.delete(inside)
    cal.delete(outside)
    world.graph.expire_delta_tokens()  # Graph will not tell us about either deletion
    state = store.sync_state("work")
    assert state is not None
    for batch in connector(account, batch_size=20).batches(state.cursor, Window(since, until)):
        store.apply_batch("work", "outlook", batch, RulesConfig())
    held = table(store, "outlook:work:cal:")
    assert inside not in held  # swept: inside the backfill window, not delivered
    assert outside in held  # outside the window: a backfill says nothing about it
    # the next nightly run sees a window that moved (the backfill's): a new initial round
    later = NOW + timedelta(days=1)
    sync(store, connector(account, batch_size=20, now=lambda: later))
    assert table(store, "outlook:work:cal:") == cal.truth()
    # a drifted window: what was deleted meanwhile inside the new window goes too
    # (no 410 here: a moved window alone means no replay, so no `@removed` either)
    drifted = NOW + timedelta(days=30)
    victim = next(k for k, t in sorted(cal.truth().items()) if t.start >= NOW - timedelta(days=9))
    cal.delete(victim)
    sync(store, connector(account, batch_size=20, now=lambda: drifted))
    assert victim not in table(store, "outlook:work:cal:")
