"""A deterministic multi-year Google Calendar, loaded into a `FakeCalendar`, with the ground
truth the meeting rules must reach (DESIGN.md, "What counts as contact: Meeting").

Ground truth is decided here from the generator's intent (who it invited, who it made decline,
which instance it cancelled or moved), and every occurrence's start is computed here by
stepping local wall-clock dates, not by the fake's RRULE expansion, so comparing the two checks
both. A meeting is contact when: `eventType` is `default`, it is not cancelled (event, series
or instance), you organized it or did not decline it, the source did not truncate its guest
list (`attendeesOmitted`), and attendees other than you and rooms number at most
`max_meeting_size` (8); it is contact with each of those attendees who did not decline. It is
past when it has started (start ≤ as-of), else planned (`next_meeting`).

All-day events: only one kind carries guests (an offsite); its occurrence time is midnight UTC
of its date (`Occurrence.all_day` says so, for connectors that pick another convention).

Sizes: `years` of history and `events` instances on the primary calendar (non-cancelled, as a
`singleEvents=true` listing returns them); the structured cases come first and one-off
meetings fill up to `events`. `generate_calendar(fake, years=5, events=8000)` is the bench's.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.google_calendar import Calendar, FakeCalendar, StoredEvent, attendee, instance_id

ME = "me@example.com"
ALIAS = "me.work@example.org"
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia",
         "Tim", "Margaret", "John", "Sophie", "Linus", "Katherine", "Dennis", "Shafi", "Niklaus",
         "Hedy", "Claude", "Jean", "Leslie", "Annie", "Vint"]  # fmt: skip
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson",
        "Perlman", "Berners-Lee", "Hamilton", "Backus", "Wilson", "Torvalds", "Johnson",
        "Ritchie", "Goldwasser", "Wirth", "Lamarr", "Shannon", "Sammet", "Lamport", "Easley",
        "Cerf"]  # fmt: skip
DOMAINS = ["acme.example", "globex.example", "initech.example", "gmail.com", "umbrella.example"]
ZONES = ["Europe/London", "America/New_York", "Europe/Berlin", "America/Los_Angeles",
         "Asia/Tokyo"]  # fmt: skip
ROOMS = [
    ("c_1888a1b2c3d4e5f6a7b8@resource.calendar.google.com", "HQ-4-Lovelace (6)"),
    ("c_1888f0e1d2c3b4a59687@resource.calendar.google.com", "HQ-2-Turing (12)"),
    ("c_18880a1b2c3d4e5f6071@resource.calendar.google.com", "Berlin-Hopper (4)"),
]
SIDE_ID = "c_5e1d3b7a9f2c4e6a8b0d1f3a5c7e9b1d@group.calendar.google.com"
HOLIDAYS_ID = "en.uk#holiday@group.v.calendar.google.com"
TEAM_ID = "c_a1b2c3d4e5f60718293a4b5c6d7e8f90@group.calendar.google.com"
HIDDEN_ID = "c_0f1e2d3c4b5a69788796a5b4c3d2e1f0@group.calendar.google.com"


@dataclass(frozen=True)
class Occurrence:
    """One instance as `events.list(singleEvents=true)` would show it, and what it means."""

    calendar_id: str
    event_id: str  # the listed id (instance ids for series, kept when moved)
    start: datetime  # UTC; all-day: midnight UTC of the date
    kind: str  # the generator's intent: "one-on-one", "declined-by-me", "big", "focusTime", …
    meeting: bool  # contact, once started: see the module docstring
    people: frozenset[str]  # normalized addresses it is contact with (when `meeting`)
    all_day: bool = False
    cancelled: bool = False  # absent from a listing without showDeleted


@dataclass
class CalendarTruth:
    """Everything `generate_calendar` made and what the rules must conclude."""

    me: str
    now: datetime
    max_meeting_size: int
    calendars: dict[str, str]  # role (primary, side, holidays, team, hidden) → calendar id
    occurrences: list[Occurrence] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)  # (name, address) invited
    stored_events: int = 0
    kinds: Counter[str] = field(default_factory=Counter)

    def _scope(self, calendars: Iterable[str] | None) -> set[str]:
        return set(calendars) if calendars is not None else {self.calendars["primary"]}

    def last_meeting(
        self, as_of: datetime | None = None, calendars: Iterable[str] | None = None
    ) -> dict[str, datetime]:
        """Address → start of the newest meeting with them that has started by `as_of`."""
        as_of = as_of or self.now
        scope = self._scope(calendars)
        out: dict[str, datetime] = {}
        for occ in self.occurrences:
            if occ.meeting and occ.calendar_id in scope and occ.start <= as_of:
                for who in occ.people:
                    if occ.start > out.get(who, datetime.min.replace(tzinfo=UTC)):
                        out[who] = occ.start
        return out

    def next_meeting(
        self, as_of: datetime | None = None, calendars: Iterable[str] | None = None
    ) -> dict[str, datetime]:
        """Address → start of the next planned meeting with them after `as_of`."""
        as_of = as_of or self.now
        scope = self._scope(calendars)
        out: dict[str, datetime] = {}
        for occ in self.occurrences:
            if occ.meeting and occ.calendar_id in scope and occ.start > as_of:
                for who in occ.people:
                    if occ.start < out.get(who, datetime.max.replace(tzinfo=UTC)):
                        out[who] = occ.start
        return out

    def listed_ids(self, calendar_id: str | None = None, *, deleted: bool = False) -> set[str]:
        """Ids a full `singleEvents=true` listing returns (with `showDeleted`: `deleted`)."""
        cal = calendar_id or self.calendars["primary"]
        return {
            o.event_id
            for o in self.occurrences
            if o.calendar_id == cal and (deleted or not o.cancelled)
        }

    def meeting_days(
        self, as_of: datetime | None = None, calendars: Iterable[str] | None = None
    ) -> dict[str, set[date]]:
        """Address → the (UTC) dates of their past meetings: contact days, for cadence."""
        as_of = as_of or self.now
        scope = self._scope(calendars)
        out: dict[str, set[date]] = {}
        for occ in self.occurrences:
            if occ.meeting and occ.calendar_id in scope and occ.start <= as_of:
                for who in occ.people:
                    out.setdefault(who, set()).add(occ.start.date())
        return out


@cache
def _norm(address: str) -> str:
    from models.identity import normalize_email

    return normalize_email(address) or address.lower()


Guest = tuple[str, str, bool]  # (address as written, responseStatus, optional)


class _Builder:
    def __init__(
        self, fake: FakeCalendar, truth: CalendarTruth, rng: random.Random, user: str
    ) -> None:
        self.fake, self.truth, self.rng = fake, truth, rng
        self.user = fake.user(user)
        self.primary = self.user.primary
        self.names: dict[str, str] = {}

    # -- one event -----------------------------------------------------------------------

    def attendees(
        self,
        guests: list[Guest],
        *,
        organizer_me: bool,
        my_response: str,
        rooms: int,
        me: str,
    ) -> tuple[list[dict[str, Any]], str]:
        people = [attendee(me, my_response, organizer=organizer_me)]
        for n, (address, response, optional) in enumerate(guests):
            theirs = not organizer_me and n == 0  # they organized it
            people.append(attendee(address, "accepted" if theirs else response,
                                   organizer=theirs, optional=optional,
                                   name=self.name_of(address)))  # fmt: skip
        for room_id, room_name in ROOMS[:rooms]:
            people.append(attendee(room_id, "accepted", resource=True, name=room_name))
        organizer = me if organizer_me else guests[0][0]
        return people, organizer

    def name_of(self, address: str) -> str | None:
        if len(self.names) != len(self.truth.people):
            self.names = {_norm(a): n for n, a in self.truth.people}
        return self.names.get(_norm(address))

    def judge(
        self,
        guests: list[Guest],
        *,
        organizer_me: bool,
        my_response: str,
        event_type: str = "default",
        cancelled: bool = False,
        omitted: bool = False,
    ) -> tuple[bool, frozenset[str]]:
        """The rule, applied to intent: (is it a meeting, with whom)."""
        if event_type != "default" or cancelled or omitted:
            return False, frozenset()
        if not organizer_me and my_response == "declined":
            return False, frozenset()
        others = {_norm(a) for a, _, _ in guests}
        if not others or len(others) > self.truth.max_meeting_size:
            return False, frozenset()
        responses: dict[str, str] = {}
        for n, (address, response, _) in enumerate(guests):
            responses[_norm(address)] = "accepted" if (not organizer_me and n == 0) else response
        return True, frozenset(a for a, r in responses.items() if r != "declined")

    def record(
        self,
        cal: Calendar,
        event_id: str,
        start: datetime | date,
        kind: str,
        meeting: bool,
        people: frozenset[str],
        *,
        cancelled: bool = False,
    ) -> None:
        all_day = not isinstance(start, datetime)
        if isinstance(start, datetime):
            moment = start.astimezone(UTC)
        else:
            moment = datetime.combine(start, time(0), tzinfo=UTC)
        self.truth.occurrences.append(
            Occurrence(
                cal.id, event_id, moment, kind, meeting and not cancelled,
                people if meeting and not cancelled else frozenset(), all_day, cancelled,
            )
        )  # fmt: skip
        if not cancelled:
            self.truth.kinds[kind] += 1

    def meeting(
        self,
        start: datetime,
        guests: list[Guest],
        *,
        kind: str,
        minutes: int = 30,
        organizer_me: bool = True,
        my_response: str = "accepted",
        rooms: int = 0,
        status: str = "confirmed",
        omitted: bool = False,
        cal: Calendar | None = None,
        me: str = ME,
        summary: str | None = None,
    ) -> StoredEvent:
        cal = cal or self.primary
        people, organizer = self.attendees(
            guests, organizer_me=organizer_me, my_response=my_response, rooms=rooms, me=me
        )
        if omitted:  # the source shows you and the organizer only
            people = [p for p in people if p["email"] in (me, organizer)]
        if cal is not self.primary and organizer_me:
            organizer_field: Any = {"email": cal.id, "displayName": cal.summary}
        else:
            organizer_field = {"email": organizer}
            name = self.name_of(organizer)
            if name:
                organizer_field["displayName"] = name
        stored = cal.add_event(
            summary or kind.replace("-", " ").capitalize(),
            start,
            start + timedelta(minutes=minutes),
            tz=str(start.tzinfo),
            attendees=people,
            organizer=organizer_field,
            creator={"email": me} if organizer_me else organizer_field,
            status=status,
            attendees_omitted=omitted,
            updated=min(start - timedelta(days=3), self.truth.now),
        )
        meeting, who = self.judge(guests, organizer_me=organizer_me, my_response=my_response,
                                  cancelled=status == "cancelled", omitted=omitted)  # fmt: skip
        self.record(cal, stored.id, start, kind, meeting, who, cancelled=status == "cancelled")
        return stored

    # -- series --------------------------------------------------------------------------

    def weekly(
        self,
        first: datetime,
        count: int,
        guests: list[Guest],
        *,
        kind: str,
        interval: int = 1,
        use_until: bool = False,
        organizer_me: bool = True,
        rooms: int = 0,
        minutes: int = 30,
        exdate: int | None = None,
        cancel: int | None = None,
        move: int | None = None,
        decline: tuple[int, str] | None = None,
        i_decline: int | None = None,
        deleted: bool = False,
    ) -> StoredEvent:
        """A weekly series of `count` instances at `first`'s local wall time (DST-safe),
        with optional exceptions by instance number."""
        zone = first.tzinfo
        assert isinstance(zone, ZoneInfo)
        local = first.replace(tzinfo=None)
        originals = [(local + timedelta(weeks=k * interval)).replace(tzinfo=zone)
                     for k in range(count)]  # fmt: skip
        if use_until:
            until = originals[-1].astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            rule = f"RRULE:FREQ=WEEKLY;INTERVAL={interval};UNTIL={until}"
        else:
            rule = f"RRULE:FREQ=WEEKLY;INTERVAL={interval};COUNT={count}"
        recurrence = [rule]
        if exdate is not None:
            recurrence.append(f"EXDATE;TZID={zone.key}:{originals[exdate]:%Y%m%dT%H%M%S}")
        people, organizer = self.attendees(
            guests, organizer_me=organizer_me, my_response="accepted", rooms=rooms, me=ME
        )
        master = self.primary.add_event(
            kind.replace("-", " ").capitalize(),
            first,
            first + timedelta(minutes=minutes),
            tz=zone.key,
            attendees=people,
            organizer={"email": organizer},
            recurrence=recurrence,
            updated=min(first - timedelta(days=1), self.truth.now),
        )
        base_meeting, base_people = self.judge(guests, organizer_me=organizer_me,
                                               my_response="accepted")  # fmt: skip
        for k, original in enumerate(originals):
            iid = instance_id(master.id, original)
            start: datetime = original
            meeting, who = base_meeting, base_people
            cancelled = deleted
            if k == exdate:
                continue  # not an instance at all
            if k == cancel:
                self.primary.cancel_instance(master.id, original)
                cancelled = True
            elif k == move:
                start = original + timedelta(days=1, hours=1)
                self.primary.move_instance(master.id, original, start)
            elif decline is not None and k == decline[0]:
                changed = [dict(p) for p in people]
                for p in changed:
                    if _norm(p["email"]) == _norm(decline[1]):
                        p["responseStatus"] = "declined"
                self.primary.override_instance(master.id, original, attendees=changed)
                altered = [(a, "declined" if _norm(a) == _norm(decline[1]) else r, o)
                           for a, r, o in guests]  # fmt: skip
                meeting, who = self.judge(altered, organizer_me=organizer_me,
                                          my_response="accepted")  # fmt: skip
            elif k == i_decline and not organizer_me:
                changed = [dict(p) for p in people]
                for p in changed:
                    if p["email"] == ME:
                        p["responseStatus"] = "declined"
                self.primary.override_instance(master.id, original, attendees=changed)
                meeting, who = False, frozenset()
            self.record(self.primary, iid, start, kind, meeting, who, cancelled=cancelled)
        if deleted:
            self.primary.delete(master.id)
        return master

    def non_meeting_series(
        self,
        first: datetime | date,
        dates: list[datetime | date],
        *,
        kind: str,
        event_type: str,
        recurrence: list[str],
        end: datetime | date,
        **extra: Any,
    ) -> StoredEvent:
        tz = str(first.tzinfo) if isinstance(first, datetime) else None
        stored = self.primary.add_event(kind, first, end, tz=tz, event_type=event_type,
                                        recurrence=recurrence, updated=self.truth.now,
                                        **extra)  # fmt: skip
        for value in dates:
            self.record(self.primary, instance_id(stored.id, value), value, kind, False,
                        frozenset())  # fmt: skip
        return stored


def generate_calendar(
    fake: FakeCalendar,
    *,
    years: float = 2,
    events: int = 600,
    seed: int = 7,
    now: datetime | None = None,
    user: str = ME,
    future_days: int = 60,
    max_meeting_size: int = 8,
) -> CalendarTruth:
    """Load a realistic calendar into `fake` for `user` and return its ground truth."""
    rng = random.Random(seed)
    now = (now or fake.clock.wall()).astimezone(UTC)
    owner = fake.user(user)
    owner.aliases = [ALIAS]
    primary = owner.primary
    side = owner.add_calendar("Side project", SIDE_ID, time_zone="Europe/London")
    holidays = owner.add_calendar("Holidays in United Kingdom", HOLIDAYS_ID,
                                  time_zone="Europe/London", access_role="reader")  # fmt: skip
    team = owner.add_calendar("Team Alpha", TEAM_ID, access_role="writer")
    owner.add_calendar("Old calendar", HIDDEN_ID, hidden=True, selected=False)
    truth = CalendarTruth(
        user, now, max_meeting_size,
        {"primary": primary.id, "side": side.id, "holidays": holidays.id, "team": team.id,
         "hidden": HIDDEN_ID},
    )  # fmt: skip
    b = _Builder(fake, truth, rng, user)
    zone = ZoneInfo(primary.time_zone)
    begin = now - timedelta(days=365 * years)
    span = (now - begin).days

    # People: a pool sized to the calendar; some Gmail addresses written with dots and caps.
    n_people = max(40, events // 50)
    for n in range(n_people):
        first, last = FIRST[n % len(FIRST)], LAST[(n * 7 + n // len(FIRST)) % len(LAST)]
        domain = DOMAINS[n % len(DOMAINS)]
        local = f"{first}.{last}".lower() + (str(n) if n >= len(FIRST) else "")
        truth.people.append((f"{first} {last}", f"{local}@{domain}"))
    pool = [a for _, a in truth.people]

    def spelled(address: str) -> str:
        if address.endswith("@gmail.com") and rng.random() < 0.5:
            local = address.split("@")[0].replace(".", "")
            return local.capitalize() + "@GMail.com"
        return address

    def guests(k: int, response: str = "accepted") -> list[Guest]:
        return [(spelled(a), response, False) for a in rng.sample(pool, k)]

    def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo | None = None) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=tz or zone)

    def day_at(offset_days: int) -> date:
        return (begin + timedelta(days=offset_days)).date()

    # 1. One-on-ones: weekly or fortnightly series that ended, two that run past today.
    n_11 = max(4, events // 400)
    for s in range(n_11):
        count = rng.randrange(6, 30)
        interval = rng.choice([1, 2])
        length = count * interval * 7
        if s < 2:  # still running: started before today, ends after it
            start_day = (now - timedelta(days=length // 2)).date()
        else:
            start_day = day_at(rng.randrange(0, max(1, span - length - 7)))
        tz = ZoneInfo(ZONES[s % len(ZONES)])
        b.weekly(at(start_day, 9 + s % 8, 30, tz), count, guests(1), kind="one-on-one",
                 interval=interval, use_until=s % 2 == 1, organizer_me=s % 3 != 0,
                 i_decline=3 if s % 3 == 0 else None)  # fmt: skip

    # 2. The team's weekly, across DST changes, with an EXDATE, a cancelled, a moved and a
    #    declined-by-one instance, and a room.
    team_first = at((now - timedelta(days=300)).date(), 10, 0, ZoneInfo("America/New_York"))
    crew = guests(5)
    b.weekly(team_first, 52, crew, kind="team-weekly", rooms=1, minutes=45,
             exdate=5, cancel=9, move=14, decline=(20, crew[1][0]), use_until=True)  # fmt: skip
    # A series deleted as a whole: every instance cancelled.
    b.weekly(at(day_at(span // 3), 15), 8, guests(2), kind="deleted-series", deleted=True)

    # 3. One-offs with a purpose.
    mid = span // 2
    b.meeting(at(day_at(mid), 11), guests(2), kind="declined-by-me", organizer_me=False,
              my_response="declined")  # fmt: skip
    declined = guests(3)
    declined[1] = (declined[1][0], "declined", False)
    b.meeting(at(day_at(mid + 1), 11), declined, kind="one-declined", rooms=1)
    # You organized it, so it counts even though your own answer says declined.
    b.meeting(at(day_at(mid + 2), 14), guests(1), kind="organizer-me-declined",
              my_response="declined")  # fmt: skip
    b.meeting(at(day_at(mid + 3), 16), guests(2), kind="needs-action", organizer_me=False,
              my_response="needsAction")  # fmt: skip
    b.meeting(at(day_at(mid + 4), 9), guests(2), kind="tentative-me", organizer_me=False,
              my_response="tentative")  # fmt: skip
    optional = guests(2)
    optional[1] = (optional[1][0], "accepted", True)
    b.meeting(at(day_at(mid + 5), 13), optional, kind="optional-guest")
    b.meeting(at(day_at(mid + 6), 10), guests(max_meeting_size), kind="exactly-max",
              rooms=2)  # fmt: skip
    b.meeting(at(day_at(mid + 7), 10), guests(max_meeting_size + 1), kind="big")
    b.meeting(at(day_at(mid + 8), 17), guests(25), kind="all-hands", organizer_me=False,
              rooms=1)  # fmt: skip
    b.meeting(at(day_at(mid + 9), 12), guests(3), kind="omitted", organizer_me=False,
              omitted=True)  # fmt: skip
    b.meeting(at(day_at(mid + 10), 15), guests(2), kind="cancelled", status="cancelled")
    b.meeting(at(day_at(mid + 11), 8), guests(2), kind="alias-invite", organizer_me=False,
              me=ALIAS)  # fmt: skip
    b.meeting(at(day_at(mid + 12), 18), guests(1), kind="tentative-event", status="tentative")
    offsite_day = day_at(mid + 20)
    offsite = guests(3)
    event = primary.add_event(
        "Offsite", offsite_day, offsite_day + timedelta(days=1),
        attendees=b.attendees(offsite, organizer_me=True, my_response="accepted", rooms=0,
                              me=ME)[0],
        updated=now,
    )  # fmt: skip
    meeting, who = b.judge(offsite, organizer_me=True, my_response="accepted")
    b.record(primary, event.id, offsite_day, "all-day-offsite", meeting, who)

    # 4. Not meetings: all-day, focus time, out of office, working location, birthdays, Gmail.
    for k in range(max(3, int(years * 4))):
        day = day_at(rng.randrange(0, span))
        length = rng.choice([1, 1, 3, 7])
        ev = primary.add_event(rng.choice(["Holiday", "Trip", "Conference", "Dentist"]), day,
                               day + timedelta(days=length), transparency="transparent",
                               updated=now)  # fmt: skip
        b.record(primary, ev.id, day, "all-day", False, frozenset())
        hol = holidays.add_event(f"Bank holiday {k}", day, day + timedelta(days=1),
                                 organizer={"email": HOLIDAYS_ID,
                                            "displayName": holidays.summary},
                                 transparency="transparent", visibility="public",
                                 updated=now)  # fmt: skip
        b.record(holidays, hol.id, day, "holiday", False, frozenset())
    focus_first = at(day_at(30), 14)
    focus_dates = [
        (focus_first.replace(tzinfo=None) + timedelta(weeks=k)).replace(tzinfo=zone)
        for k in range(20)
    ]
    b.non_meeting_series(focus_first, list(focus_dates), kind="focus", event_type="focusTime",
                         recurrence=["RRULE:FREQ=WEEKLY;COUNT=20"],
                         end=focus_first + timedelta(hours=2), transparency="opaque",
                         focusTimeProperties={
                             "autoDeclineMode": "declineOnlyNewConflictingInvitations",
                             "chatStatus": "doNotDisturb"})  # fmt: skip
    wl_first = day_at(60)
    while wl_first.weekday() != 0:
        wl_first += timedelta(days=1)
    wl_dates: list[datetime | date] = []
    cursor = wl_first
    while len(wl_dates) < 30:
        if cursor.weekday() < 5:
            wl_dates.append(cursor)
        cursor += timedelta(days=1)
    b.non_meeting_series(wl_first, wl_dates, kind="working-location",
                         event_type="workingLocation",
                         recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=30"],
                         end=wl_first + timedelta(days=1), transparency="transparent",
                         visibility="public",
                         workingLocationProperties={"type": "homeOffice",
                                                    "homeOffice": {}})  # fmt: skip
    for _ in range(3):
        ooo = at(day_at(rng.randrange(0, span)), 0)
        ev = primary.add_event("Out of office", ooo, ooo + timedelta(days=2),
                               event_type="outOfOffice",
                               outOfOfficeProperties={
                                   "autoDeclineMode": "declineAllConflictingInvitations"},
                               updated=now)  # fmt: skip
        b.record(primary, ev.id, ooo, "out-of-office", False, frozenset())
    horizon = fake.clock.wall() + timedelta(days=fake.horizon_days)
    for n in range(3):
        bday = date(1980 + n, 1 + (n * 5) % 12, 1 + (n * 11) % 28)
        first_day = date(begin.year, bday.month, bday.day)
        dates: list[datetime | date] = []
        year = first_day.year
        while datetime.combine(date(year, bday.month, bday.day), time(0)) <= horizon.replace(
            tzinfo=None
        ):
            dates.append(date(year, bday.month, bday.day))
            year += 1
        b.non_meeting_series(first_day, dates, kind="birthday", event_type="birthday",
                             recurrence=["RRULE:FREQ=YEARLY"],
                             end=first_day + timedelta(days=1), transparency="transparent",
                             visibility="private",
                             birthdayProperties={"type": "birthday",
                                                 "contact": f"people/c{1000 + n}"})  # fmt: skip
    flight = at(day_at(mid + 30), 7)
    gm = primary.add_event("Flight to Berlin (BA 982)", flight, flight + timedelta(hours=2),
                           event_type="fromGmail",
                           organizer={"email": "unknownorganizer@calendar.google.com"},
                           attendees=[attendee(ME, "accepted"),
                                      attendee(pool[4], "accepted")],
                           updated=now)  # fmt: skip
    b.record(primary, gm.id, flight, "from-gmail", False, frozenset())

    # 5. Other calendars: meetings you organized on a secondary calendar; a team calendar.
    for k in range(3):
        b.meeting(at(day_at(span - 40 + k * 10), 19), guests(2), kind="side-project", cal=side)
    for k in range(2):
        day = day_at(span - 20 + k)
        ev = team.add_event("Release freeze", day, day + timedelta(days=1),
                            organizer={"email": pool[7]}, updated=now)  # fmt: skip
        b.record(team, ev.id, day, "team-all-day", False, frozenset())

    # 6. Future meetings (planned) and one you already declined.
    for k in range(max(4, events // 200)):
        day = (now + timedelta(days=rng.randrange(1, future_days))).date()
        b.meeting(at(day, 9 + k % 8), guests(rng.choice([1, 1, 2, 3])), kind="future",
                  organizer_me=k % 2 == 0)  # fmt: skip
    b.meeting(at((now + timedelta(days=5)).date(), 12), guests(1), kind="future-declined",
              organizer_me=False, my_response="declined")  # fmt: skip

    made_before = sum(
        1 for o in truth.occurrences if o.calendar_id == primary.id and not o.cancelled
    )

    # 7. Fill with ordinary one-offs until the primary listing has `events` instances.
    made = made_before
    while made < events:
        future = rng.random() < 0.04
        if future:
            day = (now + timedelta(days=rng.randrange(1, future_days))).date()
        else:
            day = day_at(rng.randrange(0, span))
        roll = rng.random()
        size = 1 if roll < 0.45 else rng.randrange(2, 4) if roll < 0.75 else (
            rng.randrange(4, max_meeting_size + 1) if roll < 0.92 else rng.randrange(9, 16)
        )  # fmt: skip
        crew = []
        for address, _, _ in guests(size):
            r = rng.random()
            response = ("accepted" if r < 0.75 else "tentative" if r < 0.83
                        else "needsAction" if r < 0.92 else "declined")  # fmt: skip
            crew.append((address, response, rng.random() < 0.05))
        organizer_me = rng.random() < 0.4
        r = rng.random()
        mine = ("accepted" if r < 0.7 else "tentative" if r < 0.78
                else "needsAction" if r < 0.88 else "declined")  # fmt: skip
        tz = ZoneInfo(rng.choice(ZONES)) if rng.random() < 0.2 else zone
        status = "cancelled" if rng.random() < 0.03 else (
            "tentative" if rng.random() < 0.02 else "confirmed"
        )  # fmt: skip
        b.meeting(at(day, rng.randrange(8, 18), rng.choice([0, 15, 30, 45]), tz), crew,
                  kind="one-off", minutes=rng.choice([15, 30, 30, 45, 60]),
                  organizer_me=organizer_me, my_response=mine,
                  rooms=1 if rng.random() < 0.25 else 0, status=status,
                  omitted=rng.random() < 0.005)  # fmt: skip
        if status != "cancelled":
            made += 1
    truth.stored_events = sum(len(c.events) for c in owner.calendars.values())
    return truth
