"""Google Calendar against the loopback Calendar v3 fake, spoken to by the real client: the
contract, ground truth through the store, paging, sync tokens, 410, cancelled and moved
instances, declined, rooms, big meetings, storms, token expiry, scopes and calendars."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import Connector, Me, Window
from connectors.common.meeting import TRUNCATED_GROUP
from connectors.errors import AuthError, FatalError, RetriableError
from connectors.gcal import build, limit_key
from connectors.gcal.connector import GcalConnector
from connectors.gcal.cursor import CURSOR
from connectors.gcal.mapping import BadEvent, event_interaction, parse_start
from connectors.gcal.settings import GcalAccount
from connectors.source import BuildOptions
from models.config import RulesConfig
from models.records import Batch, Interaction
from models.schema import InteractionRow, ParticipantRow
from models.store import Store
from tests.connectors.contract import ConnectorContract, drain, keys_of
from tests.fakes.google_calendar import (
    CALENDAR_READONLY,
    FakeCalendar,
    Item,
    attendee,
)
from tests.fakes.google_calendar_data import ALIAS, ME, CalendarTruth, generate_calendar
from tests.fakes.google_world import write_token

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
RULES = RulesConfig()


class Sleeps:
    """Stands in for time.sleep: records the waits, waits for nothing."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def account(
    fake: FakeCalendar, tmp: Path, *, user: str = ME, name: str = "cal", **extra: Any
) -> GcalAccount:
    token = tmp / f"{name}-{user}.json"
    if not token.exists():
        write_token(token, fake.authorized_user_info(user=user))
    settings: dict[str, Any] = {"lookback_days": 3 * 365, "lookahead_days": 90, **extra}
    return GcalAccount(
        name=name, kind="gcal", token_file=str(token), api_endpoint=fake.root_url, **settings
    )


def connector(
    acct: GcalAccount,
    *,
    now: datetime = NOW,
    batch_size: int = 500,
    me: str = ME,
    sleep: Sleeps | None = None,
    attempts: int = 8,
) -> GcalConnector:
    return GcalConnector(
        acct,
        Me(frozenset({me})),
        batch_size=batch_size,
        now=lambda: now,
        sleep=sleep or Sleeps(),
        attempts=attempts,
    )


def sync(store: Store, conn: Connector) -> list[Batch]:
    state = store.sync_state(conn.account)
    batches = []
    for batch in conn.batches(state.cursor if state else None):
        store.apply_batch(conn.account, "gcal", batch, RULES)
        batches.append(batch)
    return batches


def counting(records: list[Interaction], as_of: datetime = NOW) -> tuple[dict, dict]:
    """The meeting rule (models.rules) over connector output: (last, next) per address."""
    last: dict[str, datetime] = {}
    planned: dict[str, datetime] = {}
    for record in records:
        if record.cancelled or record.declined or record.group_size > RULES.max_meeting_size:
            continue
        for person in record.participants:
            if person.declined:
                continue
            if record.occurred_at <= as_of:
                if record.occurred_at > last.get(person.value, datetime.min.replace(tzinfo=UTC)):
                    last[person.value] = record.occurred_at
            elif record.occurred_at < planned.get(person.value, datetime.max.replace(tzinfo=UTC)):
                planned[person.value] = record.occurred_at
    return last, planned


def stored(store: Store) -> list[Interaction]:
    """What the store holds for gcal, as Interactions (for `counting`)."""
    out = []
    with store.session() as session:
        for row in session.scalars(select(InteractionRow).where(InteractionRow.source == "gcal")):
            people = session.execute(
                select(ParticipantRow.value, ParticipantRow.declined).where(
                    ParticipantRow.interaction_id == row.id
                )
            ).all()
            from models.records import Participant

            out.append(
                Interaction(
                    row.key, "gcal", row.account, row.occurred_at.replace(tzinfo=UTC),
                    "meeting", "mutual",
                    tuple(Participant("email", v, "attendee", declined=d) for v, d in people),
                    row.group_size, cancelled=row.cancelled, declined=row.declined,
                )
            )  # fmt: skip
    return out


@pytest.fixture
def fake() -> Iterator[FakeCalendar]:
    with FakeCalendar(now=NOW) as server:
        yield server


@pytest.fixture(scope="module")
def generated() -> Iterator[tuple[FakeCalendar, CalendarTruth]]:
    with FakeCalendar(now=NOW) as server:
        yield server, generate_calendar(server, years=2, events=600)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    yield s
    s.close()


# -- the contract ----------------------------------------------------------------------------


class BrokenCalendar(FakeCalendar):
    """Renders one event without a usable start: a malformed record for the contract."""

    broken: set[str]

    def _render(self, cal: Any, item: Item, **kw: Any) -> dict[str, Any]:
        out = super()._render(cal, item, **kw)
        if item.id in getattr(self, "broken", set()) and out.get("status") != "cancelled":
            out["start"] = {"timeZone": "Europe/London"}
        return out


class TestGcalContract(ConnectorContract):
    source = "gcal"
    access_fix = "keepwarm auth google cal"

    @pytest.fixture(autouse=True)
    def _worlds(self) -> Iterator[None]:
        self.worlds: dict[Path, tuple[BrokenCalendar, GcalAccount]] = {}
        yield
        for server, _ in self.worlds.values():
            server.stop()

    def _make(self, tmp_path: Path, bad: bool) -> GcalConnector:
        """One fake per world, the same calendars (and so the same keys) in each."""
        if tmp_path not in self.worlds:
            server = BrokenCalendar(now=NOW).start()
            server.broken = set()
            owner = server.user(ME)
            side = owner.add_calendar("Side", "side@group.calendar.google.com")
            for n in range(14):
                for cal in (owner.primary, side):
                    cal.add_event(
                        f"m{n}",
                        NOW - timedelta(days=3 * n + 1, hours=cal is side),
                        attendees=[attendee(ME, organizer=True), attendee(f"p{n}@x.example")],
                    )
            if bad:
                broken = owner.primary.add_event("broken", NOW - timedelta(days=2))
                server.broken.add(broken.id)
            acct = account(server, tmp_path, calendars=["*"], page_size=7)
            self.worlds[tmp_path] = (server, acct)
        return connector(self.worlds[tmp_path][1], batch_size=5)

    def make_connector(self, tmp_path: Path) -> Connector:
        return self._make(tmp_path, False)

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
        return self._make(tmp_path, True)

    def make_connector_without_access(self, tmp_path: Path) -> Connector:
        acct = GcalAccount(name="cal", kind="gcal", token_file=str(tmp_path / "none.json"))
        return connector(acct)


# -- the mapping -------------------------------------------------------------------------------


def _event(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "e1",
        "status": "confirmed",
        "start": {"dateTime": "2026-01-05T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "organizer": {"email": ME, "self": True},
        "attendees": [
            {"email": ME, "self": True, "organizer": True, "responseStatus": "accepted"},
            {"email": "Ada.Lovelace@GMail.com", "displayName": "Ada", "responseStatus": "accepted"},
        ],
        "eventType": "default",
    }
    return base | kw


def _map(event: dict[str, Any], me: str = ME) -> Interaction:
    return event_interaction(event, account="cal", calendar_id=ME, me=Me(frozenset({me})))


def test_mapping_times_roles_and_flags() -> None:
    record = _map(_event())
    assert record.key == f"gcal:cal:{ME}:e1"
    assert record.occurred_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert [(p.value, p.role, p.name) for p in record.participants] == [
        ("adalovelace@gmail.com", "attendee", "Ada")
    ]
    assert (record.group_size, record.declined, record.cancelled) == (1, False, False)
    assert parse_start({"date": "2026-02-03"}) == datetime(2026, 2, 3, tzinfo=UTC)
    with pytest.raises(BadEvent):
        _map(_event(start={"timeZone": "UTC"}))
    with pytest.raises(BadEvent):
        _map(_event(start={"dateTime": "2026-01-05T10:00:00"}))  # no offset


def test_mapping_self_alias_declines_rooms_and_truncation() -> None:
    guests = [
        {"email": "boss@acme.example", "organizer": True, "responseStatus": "accepted"},
        {"email": ALIAS, "self": True, "responseStatus": "declined"},
        {
            "email": "c_1@resource.calendar.google.com",
            "resource": True,
            "responseStatus": "accepted",
        },
        {"email": "bob@acme.example", "responseStatus": "declined"},
    ]
    record = _map(_event(organizer={"email": "boss@acme.example"}, attendees=guests))
    assert record.declined  # you (an alias, known only by `self`) declined
    assert {p.value: (p.role, p.declined) for p in record.participants} == {
        "boss@acme.example": ("organizer", False),
        "bob@acme.example": ("attendee", True),
    }
    # You organized on a secondary calendar: the organizer is the calendar's id, `self`.
    guest = {"email": "x@y.example", "responseStatus": "accepted"}
    mine = _map(_event(organizer={"email": "c_9@group.calendar.google.com", "self": True},
                       attendees=[guest]))  # fmt: skip
    assert [p.value for p in mine.participants] == ["x@y.example"] and not mine.declined
    me_only = {"email": ME, "self": True, "responseStatus": "accepted"}
    omitted = _map(_event(attendeesOmitted=True, organizer={"email": "boss@acme.example"},
                          attendees=[me_only]))  # fmt: skip
    assert omitted.group_size == TRUNCATED_GROUP
    # No guests: an entry on someone's calendar, not a meeting with its owner.
    alone = _map(_event(organizer={"email": "colleague@acme.example"}, attendees=None))
    assert alone.participants == ()


# -- ground truth ------------------------------------------------------------------------------


def test_first_sync_and_nightly_match_ground_truth(
    generated: tuple[FakeCalendar, CalendarTruth], tmp_path: Path, store: Store
) -> None:
    fake, truth = generated
    acct = account(fake, tmp_path, calendars=["primary", "Side project"])
    batches = sync(store, connector(acct))
    last, planned = counting(stored(store))
    scope = [truth.calendars["primary"], truth.calendars["side"]]
    assert last == truth.last_meeting(calendars=scope)
    assert planned == truth.next_meeting(calendars=scope)
    notes = {k for b in batches for k in b.notes}
    assert {"not a meeting (focusTime)", "not a meeting (workingLocation)",
            "not a meeting (birthday)", "not a meeting (outOfOffice)",
            "not a meeting (fromGmail)"} <= notes  # fmt: skip
    assert any(b.sweep is not None for b in batches)
    state = store.sync_state("cal")
    assert state is not None and "me@example.com" not in state.aliases
    # Nightly, unchanged: one events.list per calendar, nothing else.
    before = fake.stats.attempts.copy()
    again = sync(store, connector(acct))
    spent = fake.stats.attempts - before
    assert dict(spent) == {"events.list": 2}
    assert sum(len(b.interactions) for b in again) == 0
    assert fake.crashes == []


def test_all_you_own_and_names(
    generated: tuple[FakeCalendar, CalendarTruth], tmp_path: Path
) -> None:
    fake, truth = generated
    acct = account(fake, tmp_path, calendars=["*"])
    state_ids = CURSOR.decode(drain(connector(acct).batches(None))[-1].cursor, "cal")
    assert state_ids is not None
    # Owned and visible: primary and the side project; not the holidays (reader), not the
    # team calendar (writer), not the hidden one.
    assert state_ids.ids == [truth.calendars["primary"], truth.calendars["side"]]
    unknown = account(fake, tmp_path, name="bad", calendars=["No such calendar"])
    with pytest.raises(FatalError, match=r"no calendar 'No such calendar'.*Side project"):
        drain(connector(unknown).batches(None))


# -- incremental -------------------------------------------------------------------------------


def test_changes_cancellations_moves_and_declines_reach_the_store(
    fake: FakeCalendar, tmp_path: Path, store: Store
) -> None:
    primary = fake.primary
    start = NOW - timedelta(days=20)
    series = primary.add_event("1:1", start, tz="Europe/Berlin",
                               recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"],
                               attendees=[attendee(ME, organizer=True),
                                          attendee("ada@acme.example")])  # fmt: skip
    lunch = primary.add_event("Lunch", start + timedelta(hours=2),
                              attendees=[attendee(ME), attendee("bob@acme.example")])  # fmt: skip
    doomed = primary.add_event("Doomed", start + timedelta(hours=3),
                               attendees=[attendee(ME), attendee("cy@acme.example")])  # fmt: skip
    acct = account(fake, tmp_path, page_size=3)
    sync(store, connector(acct, batch_size=2))
    assert counting(stored(store))[0]["cy@acme.example"] == start + timedelta(hours=3)

    primary.respond(lunch.id, "bob@acme.example", "declined")
    primary.delete(doomed.id)
    last_week = start + timedelta(weeks=2)
    primary.cancel_instance(series.id, last_week)
    moved_from = start + timedelta(weeks=1)
    primary.move_instance(series.id, moved_from, moved_from + timedelta(days=1))
    primary.add_event("New", NOW - timedelta(hours=1),
                      attendees=[attendee(ME), attendee("dee@acme.example")])  # fmt: skip
    batches = sync(store, connector(acct))
    removed = {k for b in batches for k in b.removed_keys}
    assert f"gcal:cal:{ME}:{doomed.id}" in removed
    assert f"gcal:cal:{ME}:{series.id}_{last_week:%Y%m%dT%H%M%SZ}" in removed
    last, _ = counting(stored(store))
    assert "cy@acme.example" not in last and "bob@acme.example" not in last
    assert last["dee@acme.example"] == NOW - timedelta(hours=1)
    with store.session() as session:
        keys = set(session.scalars(select(InteractionRow.key)))
    moved_key = f"gcal:cal:{ME}:{series.id}_{moved_from:%Y%m%dT%H%M%SZ}"
    assert moved_key in keys  # one row, at its new time
    ada_meetings = sorted(r.occurred_at for r in stored(store) if r.participants and
                          r.participants[0].value == "ada@acme.example")  # fmt: skip
    assert moved_from + timedelta(days=1) in ada_meetings and moved_from not in ada_meetings
    # Deleting the whole series: every instance left is removed.
    primary.delete(series.id)
    sync(store, connector(acct))
    assert "ada@acme.example" not in counting(stored(store))[0]


def test_410_starts_a_full_round_that_sweeps_what_went_missing(
    fake: FakeCalendar, tmp_path: Path, store: Store
) -> None:
    for n in range(9):
        fake.primary.add_event(f"m{n}", NOW - timedelta(days=n + 1),
                               attendees=[attendee(ME), attendee(f"p{n}@x.example")])  # fmt: skip
    acct = account(fake, tmp_path, page_size=4)
    sync(store, connector(acct, batch_size=3))
    gone = next(iter(fake.primary.events))
    fake.expire_sync_tokens()
    # Deleted while the token was dead, and purged: no tombstone will ever say so.
    del fake.primary.events[gone]
    fake.primary.seq += 1
    batches = sync(store, connector(acct, batch_size=3))
    assert any("410" in note for b in batches for note in b.notes)
    sweeps = [b for b in batches if b.sweep is not None]
    assert len(sweeps) == 1 and sweeps[0] is batches[-1]
    assert len({b.round for b in batches}) == 1
    with store.session() as session:
        keys = set(session.scalars(select(InteractionRow.key)))
    assert f"gcal:cal:{ME}:{gone}" not in keys and len(keys) == 8
    assert fake.stats.rejected["410"] == 1


def test_window_slides_reads_events_that_were_beyond_the_lookahead(
    fake: FakeCalendar, tmp_path: Path, store: Store
) -> None:
    far = NOW + timedelta(days=120)
    fake.primary.add_event("Far", far, attendees=[attendee(ME), attendee("far@x.example")])
    acct = account(fake, tmp_path)
    sync(store, connector(acct))
    assert "far@x.example" not in counting(stored(store), far)[0]
    later = NOW + timedelta(days=40)
    before = fake.stats.attempts["events.list"]
    batches = sync(store, connector(acct, now=later))
    assert fake.stats.attempts["events.list"] - before == 2  # changes, then the new stretch
    assert counting(stored(store), far)[0]["far@x.example"] == far
    assert all(b.sweep is None for b in batches)
    before = fake.stats.attempts["events.list"]
    sync(store, connector(acct, now=later + timedelta(days=1)))
    assert fake.stats.attempts["events.list"] - before == 1


def test_backfill_window_reads_that_window_and_leaves_a_sync_token(
    fake: FakeCalendar, tmp_path: Path
) -> None:
    for n in range(6):
        fake.primary.add_event(f"m{n}", NOW - timedelta(days=100 * n + 1),
                               attendees=[attendee(ME), attendee(f"p{n}@x.example")])  # fmt: skip
    acct = account(fake, tmp_path)
    window = Window(NOW - timedelta(days=250), NOW - timedelta(days=50))
    batches = drain(connector(acct).batches(None, window))
    records = [i for b in batches for i in b.interactions]
    assert {r.participants[0].value for r in records} == {"p1@x.example", "p2@x.example"}
    assert batches[-1].sweep is not None and batches[-1].sweep.since == window.since
    state = CURSOR.decode(batches[-1].cursor, "cal")
    assert state is not None and state.cals[ME].sync and state.cals[ME].phase == "sync"


# -- faults ------------------------------------------------------------------------------------


def test_rate_limit_storms_back_off_obeying_retry_after(fake: FakeCalendar, tmp_path: Path) -> None:
    fake.primary.add_event("x", NOW - timedelta(days=1),
                           attendees=[attendee(ME), attendee("a@x.example")])  # fmt: skip
    acct = account(fake, tmp_path)
    sleeps = Sleeps()
    fake.storm(3, "429", retry_after=7, methods={"events.list"})
    assert keys_of(drain(connector(acct, sleep=sleeps).batches(None)))
    assert sleeps.waits == [7.0, 7.0, 7.0]
    for kind in ("rateLimitExceeded", "userRateLimitExceeded"):
        sleeps = Sleeps()
        fake.storm(2, kind)
        drain(connector(acct, sleep=sleeps).batches(None))
        assert len(sleeps.waits) == 2 and all(0 < w <= 2 for w in sleeps.waits)
    fake.burst_5xx(2, status=500)
    drain(connector(acct).batches(None))
    fake.storm(50, "userRateLimitExceeded")
    with pytest.raises(RetriableError, match="still refusing after 4 tries"):
        drain(connector(acct, attempts=4).batches(None))
    fake.storm(0)


def test_token_expiry_mid_run_refreshes_and_saves_the_token(
    fake: FakeCalendar, tmp_path: Path
) -> None:
    for n in range(10):
        fake.primary.add_event(f"m{n}", NOW - timedelta(days=n + 1),
                               attendees=[attendee(ME), attendee(f"p{n}@x.example")])  # fmt: skip
    acct = account(fake, tmp_path, page_size=3)
    before = json.loads(acct.token_path().read_text())["token"]
    fake.expire_access_tokens_after(2)
    assert len(keys_of(drain(connector(acct).batches(None)))) == 10
    assert fake.oauth.stats.refreshes == 1 and fake.stats.rejected["401"] == 1
    after = json.loads(acct.token_path().read_text())
    assert after["token"] != before and after["token_uri"] == fake.token_uri
    assert acct.token_path().stat().st_mode & 0o777 == 0o600


def test_missing_scope_fails_this_account_naming_the_fix(tmp_path: Path) -> None:
    with FakeCalendar(now=NOW, scopes=[GMAIL_METADATA]) as fake:
        # The token file says what it was granted: refused before any request.
        acct = account(fake, tmp_path)
        with pytest.raises(AuthError, match=r"not calendar\.readonly.*keepwarm auth google cal"):
            drain(connector(acct).batches(None))
        assert fake.stats.http_requests == 0
        # A file that claims the scope, but the grant lacks it: Google's 403, no retry.
        info = fake.authorized_user_info(scopes=[GMAIL_METADATA])
        info["scopes"] = [GMAIL_METADATA, CALENDAR_READONLY]
        claims = tmp_path / "claims.json"
        write_token(claims, info)
        liar = acct.model_copy(update={"token_file": str(claims)})
        with pytest.raises(AuthError, match=r"lacks the scope.*keepwarm auth google cal"):
            drain(connector(liar).batches(None))
        assert fake.stats.rejected["scope"] == 1
        # A revoked grant: the refresh is refused.
        fake.oauth.revoke(ME)
        stale = tmp_path / "stale.json"
        info = fake.oauth.authorized_user_info(user=ME, expired=True, scopes=[GMAIL_METADATA])
        write_token(stale, info | {"scopes": [GMAIL_METADATA, CALENDAR_READONLY]})
        revoked = acct.model_copy(update={"token_file": str(stale)})
        with pytest.raises(AuthError, match=r"invalid_grant.*keepwarm auth google cal"):
            drain(connector(revoked).batches(None))


def test_source_declaration_builds_and_limits_per_grant(tmp_path: Path) -> None:
    acct = GcalAccount(name="cal", kind="gcal", token_file=str(tmp_path / "shared.json"))
    other = acct.model_copy(update={"name": "cal2"})
    assert limit_key(acct) == limit_key(other) and limit_key(acct).startswith(
        "google-calendar-shared-"
    )
    conn = build(acct, Me(), BuildOptions(batch_size=7, now=lambda: NOW))
    assert isinstance(conn, GcalConnector) and conn.batch_size == 7
    assert acct.service_endpoint() == "https://www.googleapis.com/calendar/v3/"


def test_all_day_and_a_calendar_gone(fake: FakeCalendar, tmp_path: Path) -> None:
    day = (NOW - timedelta(days=3)).date()
    fake.primary.add_event("Offsite", day, day + timedelta(days=1),
                           attendees=[attendee(ME), attendee("off@x.example")])  # fmt: skip
    side = fake.user(ME).add_calendar("Side", "side@group.calendar.google.com")
    acct = account(fake, tmp_path, calendars=["primary", "side@group.calendar.google.com"])
    batches = drain(connector(acct).batches(None))
    (record,) = [i for b in batches for i in b.interactions]
    assert record.occurred_at == datetime.combine(day, datetime.min.time(), UTC)
    assert isinstance(day, date)
    fake.user(ME).remove_calendar(side.id)
    again = drain(connector(acct).batches(batches[-1].cursor))
    assert any("not found (404)" in n for b in again for n in b.notes)
