"""A fake of the Google Calendar API v3 on 127.0.0.1, for the real google-api-python-client.

Build the client with `client_options={"api_endpoint": fake.endpoint}`: the override replaces
the discovery document's rootUrl + servicePath (`https://www.googleapis.com/` +
`calendar/v3/`), so `fake.endpoint` ends in `/calendar/v3/`. Like www.googleapis.com, the
fake answers a bare HTML 404 outside `/calendar/v3/` (an endpoint without the servicePath).
`fake.root_url` is the analogue of `https://www.googleapis.com`.

Modelled faithfully:
- several users (one per OAuth grant), several calendars per user; `calendarList.list`
  (`maxResults` 100 by default, at most 250, paging, `accessRole`, `primary: true` on the
  primary whose id is the user's address, `showHidden`, `showDeleted`, `minAccessRole`,
  `syncToken`), `calendarList.get`, `calendars.get`; `calendarId=primary`;
- `events.list`: `singleEvents` (RRULE/EXDATE/RDATE expansion in the event's time zone,
  DST-correct, instance ids `<id>_<UTC start>` / `<id>_<date>`, `recurringEventId`,
  `originalStartTime`, moved and cancelled exceptions), `timeMin`/`timeMax` (on end/start,
  exclusive), `maxResults` (250 by default, clamped to 2500), `pageToken`/`nextPageToken`,
  `nextSyncToken` only on the last page (none after `q`, `iCalUID`, `updatedMin` or an
  extended-property filter), `syncToken` incremental (changed events; deleted ones as bare
  `{kind, etag, id, status: "cancelled"}` entries, plus `recurringEventId` and
  `originalStartTime` for instances, since Google only guarantees `id` on them; a deleted
  series re-reports each instance not already cancelled; an unchanged calendar gives back the
  same token; 400 with `timeMin`, `timeMax`, `q`, `orderBy`, `iCalUID`, `updatedMin`, the
  extended-property filters or `showDeleted=false`), 410
  `fullSyncRequired` when tokens are invalidated, `showDeleted` (with Google's documented
  quirks for cancelled instances), `orderBy` (`startTime` only with `singleEvents`),
  `eventTypes`, `q`, `iCalUID`, `updatedMin`, `maxAttendees` (→ only the calendar's own
  attendee plus `attendeesOmitted: true`), `timeZone` (times rendered in it, else in the
  calendar's zone), `fields`; `events.get`;
- event resources: attendees (`email`, `displayName`, `responseStatus`, `self`, `organizer`,
  `resource`, `optional`), `organizer`, `creator`, `attendeesOmitted`, all-day (`date`) and
  timed (`dateTime` + `timeZone`) times, `eventType` (default, focusTime, outOfOffice,
  workingLocation, birthday, fromGmail) and whatever type properties are stored, `status`;
- faults (see `google_common.Faults`): 403 rateLimitExceeded / userRateLimitExceeded /
  quotaExceeded and 429 storms with or without Retry-After, 5xx bursts, 401 on expired or
  revoked tokens, 403 insufficientPermissions for a token without a Calendar scope, an
  optional per-user requests-per-minute limiter, pages that come back short
  (`short_pages`); counters per method (`stats`).

Not modelled: writes through the API (use the Python mutators), batch, watch/push channels,
ACLs and free/busy (a freeBusyReader calendar lists like a reader one), colors, settings,
conference data, attachments, reminders beyond `useDefault`, `events.instances`, private
copies, `iCalUID` uniqueness across calendars, sync-token expiry by age (only by switch), and
an RRULE's `UNTIL` is honoured but not validated. Unbounded series expand up to
`horizon_days` after the fake's now (Google's own horizon is undocumented).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rruleset, rrulestr

from tests.fakes.google_common import (
    ApiError,
    Call,
    GoogleFake,
    Route,
    SimClock,
    decode_token,
    encode_token,
    legacy_error,
    rfc3339,
)
from tests.fakes.google_oauth import GoogleOAuth

CALENDAR = "https://www.googleapis.com/auth/calendar"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_EVENTS_READONLY = "https://www.googleapis.com/auth/calendar.events.readonly"
CALENDARLIST_READONLY = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
_A = "https://www.googleapis.com/auth/"
# The scopes each method accepts, as calendar.v3.json lists them.
LIST_SCOPES = frozenset(
    _A + s
    for s in ("calendar", "calendar.calendarlist", "calendar.calendarlist.readonly",
              "calendar.readonly")
)  # fmt: skip
EVENTS_SCOPES = frozenset(
    _A + s
    for s in ("calendar", "calendar.app.created", "calendar.events", "calendar.events.freebusy",
              "calendar.events.owned", "calendar.events.owned.readonly",
              "calendar.events.public.readonly", "calendar.events.readonly",
              "calendar.readonly")
)  # fmt: skip
CALENDARS_SCOPES = frozenset(
    _A + s for s in ("calendar", "calendar.app.created", "calendar.calendars",
                     "calendar.calendars.readonly", "calendar.readonly")
)  # fmt: skip

EVENT_TYPES = ("default", "focusTime", "outOfOffice", "workingLocation", "birthday", "fromGmail")
ROLES = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}
SYNC_FORBIDDEN = (
    "timeMin", "timeMax", "q", "orderBy", "iCalUID", "updatedMin",
    "privateExtendedProperty", "sharedExtendedProperty",
)  # fmt: skip
# Full-sync parameters after which no nextSyncToken is handed out (filters a sync could
# not replay); timeMin/timeMax/eventTypes/orderBy still get one.
NO_TOKEN_PARAMS = ("q", "iCalUID", "updatedMin", "privateExtendedProperty",
                   "sharedExtendedProperty")  # fmt: skip
# What a page token must agree on with the first request.
PAGED_PARAMS = (
    "singleEvents", "showDeleted", "timeMin", "timeMax", "orderBy", "q", "iCalUID",
    "updatedMin", "eventTypes", "syncToken", "showHiddenInvitations", "timeZone",
)  # fmt: skip

When = datetime | date


def attendee(
    email: str,
    response: str = "accepted",
    *,
    organizer: bool = False,
    resource: bool = False,
    optional: bool = False,
    name: str | None = None,
) -> dict[str, Any]:
    """One attendee as Google stores it (`self` is added when rendered for a calendar)."""
    out: dict[str, Any] = {"email": email}
    if name:
        out["displayName"] = name
    if organizer:
        out["organizer"] = True
    if resource:
        out["resource"] = True
    if optional:
        out["optional"] = True
    out["responseStatus"] = response
    return out


@dataclass
class StoredEvent:
    """An event as the calendar keeps it: a single event, a series master or an exception."""

    id: str
    data: dict[str, Any]  # everything but times/ids/status bookkeeping, Google-shaped
    start: When  # aware datetime (timed) or date (all-day)
    end: When
    tz: str | None  # the event's IANA zone (start.timeZone); None for all-day
    seq: int
    created: datetime
    updated: datetime
    recurring_id: str | None = None  # set on exceptions
    original_start: When | None = None  # set on exceptions
    deleted: bool = False  # status cancelled

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def status(self) -> str:
        return "cancelled" if self.deleted else str(self.data.get("status", "confirmed"))

    @property
    def event_type(self) -> str:
        return str(self.data.get("eventType", "default"))


@dataclass
class Item:
    """One entry of a listing before rendering: a stored event or a generated instance."""

    id: str
    event: StoredEvent  # the stored event whose data it shows (master for generated ones)
    start: When
    end: When
    recurring_id: str | None
    original_start: When | None
    deleted: bool
    updated: datetime
    master: bool = False  # a series master (only in singleEvents=false listings)

    @property
    def status(self) -> str:
        return "cancelled" if self.deleted else str(self.event.data.get("status", "confirmed"))


def instance_id(master_id: str, original: When) -> str:
    if isinstance(original, datetime):
        return f"{master_id}_{original.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{master_id}_{original:%Y%m%d}"


def _as_utc(value: When, zone: ZoneInfo) -> datetime:
    """An instant for comparisons: all-day dates start at midnight in the calendar's zone."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(UTC)


def _fmt_time(value: When, tz: str | None, out_zone: ZoneInfo) -> dict[str, str]:
    if not isinstance(value, datetime):
        return {"date": value.isoformat()}
    text = value.astimezone(out_zone).isoformat(timespec="seconds").replace("+00:00", "Z")
    out = {"dateTime": text}
    if tz:
        out["timeZone"] = tz
    return out


def parse_rfc3339(text: str) -> datetime | None:
    """Google insists on an offset (or Z); anything else is a 400."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


class Calendar:
    """One calendar of one user, with its events and its change counter (sync tokens)."""

    def __init__(
        self,
        fake: FakeCalendar,
        user: CalendarUser,
        cal_id: str,
        summary: str,
        *,
        time_zone: str,
        access_role: str = "owner",
        primary: bool = False,
        description: str | None = None,
        hidden: bool = False,
        selected: bool = True,
        color_id: str = "14",
    ) -> None:
        self.fake, self.user = fake, user
        self.id = cal_id
        self.summary = summary
        self.time_zone = time_zone
        self.zone = ZoneInfo(time_zone)
        self.access_role = access_role
        self.primary = primary
        self.description = description
        self.hidden = hidden
        self.selected = selected
        self.color_id = color_id
        self.events: dict[str, StoredEvent] = {}
        self.seq = 1
        self.token_floor = 0  # sync tokens older than this answer 410
        self.list_seq = 0  # calendarList change number of this entry
        self.removed = False  # deleted from the user's calendar list
        self._ids = itertools.count(1)
        self._cache: tuple[tuple[int, int], list[Item]] | None = None

    # -- test-side mutators --------------------------------------------------------------

    def new_id(self) -> str:
        """Google event ids: base32hex characters (0-9, a-v), 5–1024 long."""
        digest = hashlib.sha1(f"{self.id}:{next(self._ids)}".encode()).digest()
        return base64.b32hexencode(digest).decode().lower()[:26]

    def add_event(
        self,
        summary: str = "",
        start: When | None = None,
        end: When | None = None,
        *,
        tz: str | None = None,
        attendees: Iterable[dict[str, Any]] | None = None,
        organizer: str | dict[str, Any] | None = None,
        creator: str | dict[str, Any] | None = None,
        recurrence: Iterable[str] | None = None,
        event_type: str = "default",
        status: str = "confirmed",
        attendees_omitted: bool = False,
        event_id: str | None = None,
        updated: datetime | None = None,
        **extra: Any,
    ) -> StoredEvent:
        """Add (or replace, with `event_id`) an event. Timed starts are aware datetimes shown in
        `tz` (default: the calendar's zone); all-day starts are dates (end exclusive)."""
        assert start is not None
        if end is None:
            end = start + (
                timedelta(days=1) if not isinstance(start, datetime) else timedelta(hours=1)
            )
        if isinstance(start, datetime):
            assert start.tzinfo is not None, "timed events need aware datetimes"
            tz = tz or self.time_zone
            assert isinstance(end, datetime), "a timed event ends at a datetime"
            start, end = start.astimezone(ZoneInfo(tz)), end.astimezone(ZoneInfo(tz))
        else:
            tz = None
        data: dict[str, Any] = {"summary": summary, **extra}
        org = _person(organizer or self._owner_email())
        data["organizer"] = org
        data["creator"] = _person(creator) if creator else dict(org)
        if attendees is not None:
            data["attendees"] = [dict(a) for a in attendees]
        if attendees_omitted:
            data["attendeesOmitted"] = True
        if recurrence:
            data["recurrence"] = list(recurrence)
        data["eventType"] = event_type
        data["status"] = "confirmed" if status == "cancelled" else status
        eid = event_id or self.new_id()
        stored = self._store(eid, data, start, end, tz, updated=updated)
        if status == "cancelled":
            stored.deleted = True
        return stored

    def _owner_email(self) -> str:
        return self.user.address if self.primary else self.id

    def _store(
        self,
        eid: str,
        data: dict[str, Any],
        start: When,
        end: When,
        tz: str | None,
        *,
        recurring_id: str | None = None,
        original_start: When | None = None,
        updated: datetime | None = None,
    ) -> StoredEvent:
        with self.fake.lock:
            self.seq += 1
            now = updated or self.fake.clock.wall()
            old = self.events.get(eid)
            stored = StoredEvent(
                eid, data, start, end, tz, self.seq, old.created if old else now, now,
                recurring_id, original_start,
            )  # fmt: skip
            self.events[eid] = stored
            return stored

    def _touch(self, stored: StoredEvent) -> None:
        self.seq += 1
        stored.seq = self.seq
        stored.updated = self.fake.clock.wall()

    def update(self, event_id: str, **changes: Any) -> StoredEvent:
        """Change stored fields (Google names: summary, attendees, status, …; `start`/`end`
        take datetimes or dates). A change the next incremental sync reports."""
        with self.fake.lock:
            stored = self.events[event_id]
            for key, value in changes.items():
                if key in ("start", "end"):
                    if isinstance(value, datetime) and stored.tz:
                        value = value.astimezone(ZoneInfo(stored.tz))
                    setattr(stored, key, value)
                elif key == "status" and value == "cancelled":
                    stored.deleted = True
                else:
                    stored.data[key] = copy.deepcopy(value)
            self._touch(stored)
            return stored

    def respond(self, event_id: str, email: str, response: str) -> StoredEvent:
        """An attendee's answer changes (accepted / declined / tentative / needsAction)."""
        with self.fake.lock:
            stored = self.events[event_id]
            for person in stored.data.get("attendees", []):
                if person["email"].lower() == email.lower():
                    person["responseStatus"] = response
            self._touch(stored)
            return stored

    def delete(self, event_id: str) -> None:
        """Delete an event (status cancelled); a master takes its exceptions along."""
        with self.fake.lock:
            stored = self.events[event_id]
            stored.deleted = True
            self._touch(stored)
            for other in self.events.values():
                if other.recurring_id == event_id and not other.deleted:
                    other.deleted = True
                    self._touch(other)

    def override_instance(
        self, master_id: str, original_start: When, **changes: Any
    ) -> StoredEvent:
        """An exception of a series: the instance at `original_start` with `changes`
        (Google names; `start`/`end` move it; `status="cancelled"` cancels it)."""
        with self.fake.lock:
            master = self.events[master_id]
            if isinstance(original_start, datetime) and master.tz:
                original_start = original_start.astimezone(ZoneInfo(master.tz))
            eid = instance_id(master_id, original_start)
            existing = self.events.get(eid)
            if existing is not None:
                data, start, end = existing.data, existing.start, existing.end
            else:
                data = copy.deepcopy(master.data)
                data.pop("recurrence", None)
                start = original_start
                end = _shift(original_start, master)
            status = changes.pop("status", None)
            cancelled = status == "cancelled" or (
                status is None and existing is not None and existing.deleted
            )
            if "start" in changes:
                new_start = changes.pop("start")
                length = _length(start, end)
                start = new_start
                end = changes.pop("end", None) or _add(new_start, length)
            elif "end" in changes:
                end = changes.pop("end")
            if isinstance(start, datetime) and master.tz:
                start = start.astimezone(ZoneInfo(master.tz))
                assert isinstance(end, datetime)
                end = end.astimezone(ZoneInfo(master.tz))
            data.update(copy.deepcopy(changes))
            stored = self._store(
                eid, data, start, end, master.tz,
                recurring_id=master_id, original_start=original_start,
            )  # fmt: skip
            stored.deleted = cancelled or master.deleted
            return stored

    def cancel_instance(self, master_id: str, original_start: When) -> StoredEvent:
        return self.override_instance(master_id, original_start, status="cancelled")

    def move_instance(
        self, master_id: str, original_start: When, start: When, end: When | None = None, **kw: Any
    ) -> StoredEvent:
        if end is not None:
            kw["end"] = end
        return self.override_instance(master_id, original_start, start=start, **kw)

    def expire_sync_tokens(self) -> None:
        """Every sync token handed out for this calendar so far answers 410."""
        with self.fake.lock:
            self.seq += 1
            self.token_floor = self.seq

    # -- listing -------------------------------------------------------------------------

    def expanded(self) -> list[Item]:
        """Every single event and every instance of every series (exceptions applied),
        cancelled ones included; cached per change number."""
        horizon = self.fake.clock.wall() + timedelta(days=self.fake.horizon_days)
        key = (self.seq, int(horizon.timestamp() // 86400))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        exceptions: dict[str, StoredEvent] = {
            e.id: e for e in self.events.values() if e.recurring_id is not None
        }
        out: list[Item] = []
        for stored in self.events.values():
            if stored.recurring_id is not None:
                continue
            if "recurrence" not in stored.data:
                out.append(_plain(stored))
                continue
            seen: set[str] = set()
            for original in expand(stored, horizon):
                iid = instance_id(stored.id, original)
                seen.add(iid)
                exc = exceptions.get(iid)
                if exc is not None:
                    out.append(_plain(exc))
                    continue
                out.append(
                    Item(
                        iid, stored, original, _shift(original, stored), stored.id, original,
                        stored.deleted, stored.updated,
                    )
                )  # fmt: skip
            for exc in exceptions.values():  # exceptions of instances the rule no longer has
                if exc.recurring_id == stored.id and exc.id not in seen and not exc.deleted:
                    out.append(_plain(exc))
        self._cache = (key, out)
        return out

    def span(self, stored: StoredEvent) -> tuple[datetime, datetime]:
        """From the first instance's start to the last one's end (open series: far future)."""
        start = _as_utc(stored.start, self.zone)
        if "recurrence" not in stored.data:
            return start, _as_utc(stored.end, self.zone)
        far = self.fake.clock.wall() + timedelta(days=self.fake.horizon_days)
        originals = list(expand(stored, far))
        if not originals or _unbounded(stored):
            return start, datetime.max.replace(tzinfo=UTC)
        return start, _as_utc(_shift(originals[-1], stored), self.zone)


def _plain(stored: StoredEvent) -> Item:
    return Item(
        stored.id, stored, stored.start, stored.end, stored.recurring_id,
        stored.original_start, stored.deleted, stored.updated,
        master="recurrence" in stored.data,
    )  # fmt: skip


def _length(start: When, end: When) -> timedelta:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return end - start
    assert not isinstance(start, datetime) and not isinstance(end, datetime)
    return timedelta(days=(end - start).days)


def _add(start: When, length: timedelta) -> When:
    return start + length


def _shift(original: When, master: StoredEvent) -> When:
    return _add(original, _length(master.start, master.end))


def _unbounded(stored: StoredEvent) -> bool:
    rules = [r for r in stored.data.get("recurrence", []) if r.upper().startswith("RRULE")]
    return any("COUNT=" not in r.upper() and "UNTIL=" not in r.upper() for r in rules)


def _person(value: str | dict[str, Any]) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {"email": value}


def _parse_ical_time(text: str, params: dict[str, str], zone: ZoneInfo | None) -> When:
    text = text.strip()
    if params.get("VALUE") == "DATE" or len(text) == 8:
        return datetime.strptime(text, "%Y%m%d").date()
    if text.endswith("Z"):
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    local = datetime.strptime(text, "%Y%m%dT%H%M%S")
    tzid = params.get("TZID")
    return local.replace(tzinfo=ZoneInfo(tzid) if tzid else zone)


def _ical_dates(line: str, zone: ZoneInfo | None) -> list[When]:
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    return [_parse_ical_time(v, params, zone) for v in values.split(",") if v.strip()]


def _same(a: When, b: When) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) == b.astimezone(UTC)
    return a == b


def expand(master: StoredEvent, horizon: datetime) -> Iterable[When]:
    """The original starts of a series, in order, up to `horizon` (aware UTC)."""
    zone = ZoneInfo(master.tz) if master.tz else None
    timed = isinstance(master.start, datetime)
    dtstart: datetime
    if isinstance(master.start, datetime):
        dtstart = master.start
    else:
        dtstart = datetime(master.start.year, master.start.month, master.start.day)
    rules = rruleset()
    has_rule = False
    exdates: list[When] = []
    for line in master.data.get("recurrence", []):
        upper = line.upper()
        if upper.startswith("RRULE:"):
            rules.rrule(rrulestr(_until_fixed(line, timed, zone), dtstart=dtstart))
            has_rule = True
        elif upper.startswith("EXDATE"):
            exdates.extend(_ical_dates(line, zone))
        elif upper.startswith("RDATE"):
            for extra in _ical_dates(line, zone):
                if isinstance(extra, datetime):
                    rules.rdate(extra.astimezone(zone) if zone else extra)
                else:
                    rules.rdate(datetime(extra.year, extra.month, extra.day))
    if not has_rule:
        rules.rdate(dtstart)
    limit = horizon if timed else horizon.replace(tzinfo=None)
    for moment in rules:
        if moment > limit:
            break
        value: When = moment if timed else moment.date()
        if any(_same(value, x) for x in exdates):
            continue
        yield value


def _until_fixed(line: str, timed: bool, zone: ZoneInfo | None) -> str:
    """dateutil wants UNTIL in UTC for aware starts and floating for all-day ones."""
    parts = line.split(":", 1)[1].split(";")
    out = []
    for part in parts:
        if part.upper().startswith("UNTIL="):
            value = part.split("=", 1)[1]
            if timed and not value.endswith("Z"):
                if len(value) == 8:
                    value += "T235959"
                local = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
                value = local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            elif not timed and value.endswith("Z"):
                value = value[:-1]
            part = "UNTIL=" + value
        out.append(part)
    return "RRULE:" + ";".join(out)


@dataclass
class CalendarUser:
    """One Google account: its address (and aliases marked `self`), its calendar list."""

    fake: FakeCalendar
    address: str
    aliases: list[str] = field(default_factory=list)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    list_seq: int = 1
    list_floor: int = 0

    @property
    def primary(self) -> Calendar:
        return next(c for c in self.calendars.values() if c.primary)

    def add_calendar(
        self,
        summary: str,
        cal_id: str | None = None,
        *,
        time_zone: str | None = None,
        access_role: str = "owner",
        **kw: Any,
    ) -> Calendar:
        with self.fake.lock:
            cal_id = cal_id or f"c_{secrets.token_hex(16)}@group.calendar.google.com"
            zone = time_zone or self.fake.time_zone
            cal = Calendar(
                self.fake, self, cal_id, summary, time_zone=zone, access_role=access_role, **kw
            )
            self.calendars[cal_id] = cal
            self.list_seq += 1
            cal.list_seq = self.list_seq
            return cal

    def remove_calendar(self, cal_id: str) -> None:
        """Unsubscribe: the entry leaves the list (an incremental list sync reports it)."""
        with self.fake.lock:
            cal = self.calendars[cal_id]
            cal.removed = True
            self.list_seq += 1
            cal.list_seq = self.list_seq

    def me(self) -> set[str]:
        return {self.address, *(a.lower() for a in self.aliases)}


class FakeCalendar(GoogleFake):
    """The server. Use as a context manager; pass `endpoint` as the client's api_endpoint."""

    service = "calendar-json.googleapis.com"
    prefix = "/calendar/v3/"
    quota_kind = "rateLimitExceeded"

    def __init__(
        self,
        address: str = "me@example.com",
        *,
        time_zone: str = "Europe/London",
        now: datetime | None = None,
        oauth: GoogleOAuth | None = None,
        clock: SimClock | None = None,
        scopes: Iterable[str] = (CALENDAR_READONLY,),
        requests_per_minute: float | None = None,
        horizon_days: int = 365,
    ) -> None:
        self.time_zone = time_zone
        self.horizon_days = horizon_days
        self.short_pages = False  # True: pages come back half full (with a nextPageToken)
        self.users: dict[str, CalendarUser] = {}
        clock = clock or (oauth.clock if oauth else SimClock(now))
        super().__init__(
            oauth=oauth,
            clock=clock,
            requests_per_minute=requests_per_minute,
            default_scopes=tuple(scopes),
            address=address,
        )
        self.user(address)

    # -- data --------------------------------------------------------------------------

    def user(self, address: str, *, time_zone: str | None = None) -> CalendarUser:
        """A user (created with a primary calendar whose id is the address)."""
        key = address.lower()
        with self.lock:
            found = self.users.get(key)
            if found is None:
                found = self.users[key] = CalendarUser(self, key)
                found.add_calendar(key, key, time_zone=time_zone, primary=True)
            return found

    @property
    def primary(self) -> Calendar:
        return self.user(self.address).primary

    def calendar(self, cal_id: str, user: str | None = None) -> Calendar:
        owner = self.user(user or self.address)
        return owner.primary if cal_id == "primary" else owner.calendars[cal_id]

    def expire_sync_tokens(self) -> None:
        """Every events and calendarList sync token handed out so far answers 410."""
        with self.lock:
            for user in self.users.values():
                user.list_seq += 1
                user.list_floor = user.list_seq
                for cal in user.calendars.values():
                    cal.expire_sync_tokens()

    # -- routes ------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route("GET", r"users/me/calendarList", "calendarList.list",
                  "calendar.v3.CalendarList.List", LIST_SCOPES, self._calendar_list),
            Route("GET", r"users/me/calendarList/([^/]+)", "calendarList.get",
                  "calendar.v3.CalendarList.Get", LIST_SCOPES, self._calendar_list_get),
            Route("GET", r"calendars/([^/]+)", "calendars.get",
                  "calendar.v3.Calendars.Get", CALENDARS_SCOPES, self._calendars_get),
            Route("GET", r"calendars/([^/]+)/events", "events.list",
                  "calendar.v3.Events.List", EVENTS_SCOPES, self._events_list),
            Route("GET", r"calendars/([^/]+)/events/([^/]+)", "events.get",
                  "calendar.v3.Events.Get", EVENTS_SCOPES, self._events_get),
        ]  # fmt: skip

    # -- errors ------------------------------------------------------------------------

    def _not_found(self) -> ApiError:
        return legacy_error(404, "notFound", "Not Found")

    def _bad(self, message: str, reason: str = "invalid", location: str | None = None) -> ApiError:
        return legacy_error(400, reason, message, location=location)

    def _gone(self) -> ApiError:
        return legacy_error(
            410,
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
            domain="calendar",
            location="syncToken",
        )

    def _cal(self, call: Call, cal_id: str) -> Calendar:
        owner = self.user(call.user)
        cal = owner.primary if cal_id == "primary" else owner.calendars.get(cal_id)
        if cal is None or cal.removed:
            raise self._not_found()
        return cal

    # -- calendarList / calendars --------------------------------------------------------

    def _entry(self, cal: Calendar) -> dict[str, Any]:
        if cal.removed:
            return {"kind": "calendar#calendarListEntry", "etag": _etag(cal.list_seq),
                    "id": cal.id, "deleted": True}  # fmt: skip
        out: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": _etag(cal.list_seq),
            "id": cal.id,
            "summary": cal.summary,
        }
        if cal.description:
            out["description"] = cal.description
        out |= {
            "timeZone": cal.time_zone,
            "colorId": cal.color_id,
            "backgroundColor": "#9fc6e7",
            "foregroundColor": "#000000",
        }
        if cal.hidden:
            out["hidden"] = True
        if cal.selected:
            out["selected"] = True
        out["accessRole"] = cal.access_role
        out["defaultReminders"] = (
            [{"method": "popup", "minutes": 10}] if cal.access_role == "owner" else []
        )
        if cal.primary:
            out["notificationSettings"] = {"notifications": []}
            out["primary"] = True
        out["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
        return out

    def _calendar_list(self, call: Call) -> dict[str, Any]:
        owner = self.user(call.user)
        limit = min(_int(call, "maxResults", 100), 250)
        sync = call.one("syncToken")
        show_deleted = bool(call.flag("showDeleted"))
        show_hidden = bool(call.flag("showHidden"))
        min_role = call.one("minAccessRole")
        since = None
        if sync is not None:
            if min_role:
                raise self._bad("Sync token cannot be used with other request restrictions.")
            token = decode_token(sync)
            if token is None or token.get("u") != owner.address or "l" not in token:
                raise self._bad("Invalid sync token value.", location="syncToken")
            if int(token["l"]) < owner.list_floor:
                raise self._gone()
            since = int(token["l"])
        entries = []
        for cal in owner.calendars.values():
            if since is not None:
                if cal.list_seq > since:
                    entries.append(cal)
                continue
            if cal.removed and not show_deleted:
                continue
            if cal.hidden and not show_hidden:
                continue
            if min_role and ROLES[cal.access_role] < ROLES.get(min_role, 0):
                continue
            entries.append(cal)
        fingerprint = _fingerprint(
            call, ("syncToken", "showDeleted", "showHidden", "minAccessRole")
        )
        start, snapshot = self._resume(call, fingerprint, owner.list_seq)
        page = entries[start : start + limit]
        out: dict[str, Any] = {"kind": "calendar#calendarList", "etag": _etag(owner.list_seq)}
        if start + limit < len(entries):
            out["nextPageToken"] = encode_token(
                {"o": start + limit, "f": fingerprint, "s": snapshot}
            )
        else:
            out["nextSyncToken"] = encode_token({"u": owner.address, "l": snapshot})
        out["items"] = [self._entry(c) for c in page]
        self.stats.items["calendarList.list"] += len(page)
        return out

    def _calendar_list_get(self, call: Call, cal_id: str) -> dict[str, Any]:
        return self._entry(self._cal(call, cal_id))

    def _calendars_get(self, call: Call, cal_id: str) -> dict[str, Any]:
        cal = self._cal(call, cal_id)
        out: dict[str, Any] = {"kind": "calendar#calendar", "etag": _etag(cal.list_seq),
                               "id": cal.id, "summary": cal.summary}  # fmt: skip
        if cal.description:
            out["description"] = cal.description
        out["timeZone"] = cal.time_zone
        out["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
        return out

    def _resume(self, call: Call, fingerprint: str, seq: int) -> tuple[int, int]:
        """(offset, snapshot change number) from the page token, checked against the query."""
        page_token = call.one("pageToken")
        if not page_token:
            return 0, seq
        token = decode_token(page_token)
        if token is None or token.get("f") != fingerprint:
            raise self._bad("Invalid page token value.", location="pageToken")
        return int(token.get("o", 0)), int(token["s"])

    # -- events ----------------------------------------------------------------------------

    def _events_get(self, call: Call, cal_id: str, event_id: str) -> dict[str, Any]:
        cal = self._cal(call, cal_id)
        item = next((i for i in cal.expanded() if i.id == event_id), None)
        stored = cal.events.get(event_id)
        if stored is not None:
            item = _plain(stored)
        if item is None:
            raise self._not_found()
        return self._render(cal, item, full=not item.deleted)

    def _events_list(self, call: Call, cal_id: str) -> dict[str, Any]:
        cal = self._cal(call, cal_id)
        q = call.query
        single = bool(call.flag("singleEvents"))
        sync = call.one("syncToken")
        show_deleted = call.flag("showDeleted")
        raw_max = _int(call, "maxResults", 250)
        if raw_max < 1:
            raise self._bad(
                f"Invalid value '{raw_max}'. Values must be within the range: [1, 2500]",
                location="maxResults",
            )
        limit = min(raw_max, 2500)
        types = set(q.get("eventTypes", []))
        if types - set(EVENT_TYPES):
            raise self._bad("Invalid event types.", location="eventTypes")
        out_zone = cal.zone
        if call.one("timeZone"):
            try:
                out_zone = ZoneInfo(str(call.one("timeZone")))
            except (ZoneInfoNotFoundError, ValueError):
                raise self._bad("Invalid time zone definition for the request.") from None
        order = call.one("orderBy")
        if order not in (None, "startTime", "updated"):
            raise self._bad(f"Invalid value for orderBy: {order}", location="orderBy")
        if order == "startTime" and not single:
            raise self._bad("The requested ordering is not available for the particular query.",
                            reason="badRequest", location="orderBy")  # fmt: skip

        since: int | None = None
        if sync is not None:
            bad = [k for k in SYNC_FORBIDDEN if k in q]
            if bad or show_deleted is False:
                raise self._bad(
                    "Sync token cannot be used with other request restrictions.",
                    location="syncToken",
                )
            token = decode_token(sync)
            if token is None or "e" not in token:
                raise self._bad("Invalid sync token value.", location="syncToken")
            if token.get("c") != cal.id or int(token["e"]) < cal.token_floor:
                raise self._gone()
            since = int(token["e"])
        time_min = self._time_param(call, "timeMin")
        time_max = self._time_param(call, "timeMax")
        if time_min and time_max and time_max <= time_min:
            raise legacy_error(400, "timeRangeEmpty", "The specified time range is empty.",
                               domain="calendar", location="timeMax")  # fmt: skip
        updated_min = self._time_param(call, "updatedMin")
        text = (call.one("q") or "").lower()
        uid = call.one("iCalUID")

        items = self._select(cal, single=single, since=since, show_deleted=bool(show_deleted),
                             updated_min=updated_min)  # fmt: skip
        kept: list[Item] = []
        for item in items:
            ev = item.event
            if types and ev.event_type not in types:
                continue
            if uid and _ical_uid(item) != uid:
                continue
            if text and text not in _haystack(ev):
                continue
            if time_min or time_max:
                lo, hi = (
                    cal.span(ev) if item.master else
                    (_as_utc(item.start, cal.zone), _as_utc(item.end, cal.zone))
                )  # fmt: skip
                if time_min and hi <= time_min:
                    continue
                if time_max and lo >= time_max:
                    continue
            kept.append(item)
        if order == "updated":
            kept.sort(key=lambda i: (i.updated, i.id))
        else:
            kept.sort(key=lambda i: (_as_utc(i.start, cal.zone), i.id))

        fingerprint = _fingerprint(call, PAGED_PARAMS)
        start, snapshot = self._resume(call, fingerprint, cal.seq)
        take = limit
        if self.short_pages and start + limit < len(kept):
            take = max(0, limit // 2)
        page = kept[start : start + take]
        out: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": _etag(cal.seq),
            "summary": cal.summary,
        }
        if cal.description:
            out["description"] = cal.description
        out |= {
            "updated": rfc3339(max((i.updated for i in kept), default=self.clock.wall())),
            "timeZone": cal.time_zone,
            "accessRole": cal.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}]
            if cal.access_role == "owner"
            else [],
        }
        if start + take < len(kept):
            out["nextPageToken"] = encode_token(
                {"o": start + take, "f": fingerprint, "s": snapshot}
            )
        elif not any(k in q for k in NO_TOKEN_PARAMS):
            out["nextSyncToken"] = encode_token({"c": cal.id, "e": snapshot})
        max_attendees = _int(call, "maxAttendees", 0)
        out["items"] = [
            self._render(cal, i, full=not i.deleted, zone=out_zone, max_attendees=max_attendees)
            for i in page
        ]
        self.stats.items["events.list"] += len(page)
        return out

    def _time_param(self, call: Call, key: str) -> datetime | None:
        raw = call.one(key)
        if raw is None:
            return None
        value = parse_rfc3339(raw)
        if value is None:
            raise legacy_error(400, "badRequest", "Bad Request")
        return value.astimezone(UTC)

    def _select(
        self,
        cal: Calendar,
        *,
        single: bool,
        since: int | None,
        show_deleted: bool,
        updated_min: datetime | None,
    ) -> list[Item]:
        if single:
            items = cal.expanded()
            if since is not None:
                return [i for i in items if i.event.seq > since]
            if updated_min is not None:
                return [i for i in items if i.updated >= updated_min]
            # Cancelled instances only with showDeleted; never the cancelled masters (not here).
            return [i for i in items if not i.deleted or show_deleted]
        stored = list(cal.events.values())
        if since is not None:
            return [_plain(e) for e in stored if e.seq > since]
        if updated_min is not None:
            return [_plain(e) for e in stored if e.updated >= updated_min]
        out = []
        for e in stored:
            if e.deleted and not show_deleted:
                # Cancelled exceptions of a live series stay listed (Google's documented quirk).
                master = cal.events.get(e.recurring_id or "")
                if not (master is not None and not master.deleted):
                    continue
            out.append(_plain(e))
        return out

    def _render(
        self,
        cal: Calendar,
        item: Item,
        *,
        full: bool = True,
        zone: ZoneInfo | None = None,
        max_attendees: int = 0,
    ) -> dict[str, Any]:
        zone = zone or cal.zone
        ev = item.event
        out: dict[str, Any] = {"kind": "calendar#event", "etag": _etag(ev.seq, item.id),
                               "id": item.id}  # fmt: skip
        if not full:
            out["status"] = "cancelled"
            if item.recurring_id:
                out["recurringEventId"] = item.recurring_id
                assert item.original_start is not None
                out["originalStartTime"] = _fmt_time(item.original_start, ev.tz, zone)
            return out
        data = ev.data
        me = cal.user.me() | {cal.id.lower()}
        out["status"] = item.status
        out["htmlLink"] = f"https://www.google.com/calendar/event?eid={item.id}"
        out["created"] = rfc3339(ev.created)
        out["updated"] = rfc3339(item.updated)
        for key in ("summary", "description", "location", "colorId"):
            if data.get(key):
                out[key] = data[key]
        for key in ("creator", "organizer"):
            person = dict(data[key])
            if person.get("email", "").lower() in me:
                person["self"] = True
            out[key] = person
        out["start"] = _fmt_time(item.start, ev.tz, zone)
        out["end"] = _fmt_time(item.end, ev.tz, zone)
        if item.recurring_id:
            out["recurringEventId"] = item.recurring_id
            assert item.original_start is not None
            out["originalStartTime"] = _fmt_time(item.original_start, ev.tz, zone)
        elif "recurrence" in data:
            out["recurrence"] = list(data["recurrence"])
        for key in ("transparency", "visibility"):
            if data.get(key):
                out[key] = data[key]
        out["iCalUID"] = _ical_uid(item)
        out["sequence"] = int(data.get("sequence", 0))
        if "attendees" in data:
            people = []
            for person in data["attendees"]:
                shown = dict(person)
                if shown["email"].lower() in me:
                    shown["self"] = True
                people.append(shown)
            omitted = bool(data.get("attendeesOmitted"))
            if max_attendees and len(people) > max_attendees:
                people = [p for p in people if p.get("self")]
                omitted = True
            if people:
                out["attendees"] = people
            if omitted:
                out["attendeesOmitted"] = True
        elif data.get("attendeesOmitted"):
            out["attendeesOmitted"] = True
        for key in ("guestsCanSeeOtherGuests", "guestsCanInviteOthers", "privateCopy"):
            if key in data:
                out[key] = data[key]
        out["reminders"] = {"useDefault": True}
        for key, value in data.items():
            if key.endswith("Properties") or key in ("source", "extendedProperties"):
                out[key] = copy.deepcopy(value)
        out["eventType"] = ev.event_type
        return out


def _ical_uid(item: Item) -> str:
    base = item.recurring_id or item.event.id
    return str(item.event.data.get("iCalUID") or f"{base}@google.com")


def _haystack(ev: StoredEvent) -> str:
    data = ev.data
    parts = [str(data.get(k, "")) for k in ("summary", "description", "location")]
    parts.append(str(data.get("organizer", {}).get("email", "")))
    for person in data.get("attendees", []):
        parts += [person.get("email", ""), person.get("displayName", "")]
    return "\n".join(parts).lower()


def _etag(seq: int, salt: str = "") -> str:
    digest = hashlib.sha1(f"{seq}:{salt}".encode()).hexdigest()
    return f'"{int(digest[:12], 16) % 10**16:016d}"'


def _fingerprint(call: Call, keys: Iterable[str]) -> str:
    parts = [f"{k}={','.join(sorted(call.query.get(k, [])))}" for k in keys]
    return hashlib.sha1("&".join(parts).encode()).hexdigest()[:16]


def _int(call: Call, key: str, default: int) -> int:
    raw = call.one(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise legacy_error(400, "invalid", f"Invalid value '{raw}'.", location=key) from None
