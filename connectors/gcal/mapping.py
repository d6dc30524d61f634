"""A Calendar v3 event (one occurrence: we list with singleEvents=true) → an Interaction,
through the meeting rules .ics and Outlook use (connectors.common.meeting).

Keys: `gcal:<account>:<calendar id>:<event id>`. With singleEvents, an instance's id is the
series id plus its original start (`<id>_20260105T090000Z`), so a moved instance keeps its
key and a cancelled one in an incremental read (`status: cancelled`, often nothing but the
id) removes exactly that row.

What Google says, mapped:
- `attendees[].self` / `organizer.self`: you — whatever the address (an alias, or a secondary
  calendar's id when you organize on it); `responseStatus: declined` → does not count;
- `resource: true`: a room, never a person;
- the top-level `organizer` is a participant only when the event has guests (an event without
  `attendees` is an entry in someone's calendar, not a meeting with its owner);
- `attendeesOmitted: true`: Google cut the guest list: a big meeting (never contact);
- all-day events (`start.date`): at midnight UTC of that date, as .ics reads them;
- `eventType` other than `default` (focusTime, outOfOffice, workingLocation, birthday,
  fromGmail) is not a meeting: `not_a_meeting` says so and the connector stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from connectors.base import Me
from connectors.common.meeting import Attendee, meeting_interaction
from models.records import Interaction

SOURCE = "gcal"


class BadEvent(ValueError):
    """The event lacks what we need; it becomes a Skip."""


def calendar_prefix(account: str, calendar_id: str) -> str:
    return f"{SOURCE}:{account}:{calendar_id}:"


def event_key(account: str, calendar_id: str, event_id: str) -> str:
    return f"{calendar_prefix(account, calendar_id)}{event_id}"


def not_a_meeting(event: Mapping[str, Any]) -> str | None:
    """Why this entry is not a meeting (its eventType), or None when it may be one."""
    kind = str(event.get("eventType") or "default")
    return None if kind == "default" else kind


def parse_start(value: Any) -> datetime:
    """`{"dateTime": "2026-01-05T09:00:00+01:00"}` → aware UTC; `{"date": …}` → midnight UTC."""
    if not isinstance(value, Mapping):
        raise BadEvent("no start")
    raw = value.get("dateTime")
    if isinstance(raw, str) and raw:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise BadEvent(f"start.dateTime {raw!r} unreadable") from exc
        if moment.tzinfo is None:
            raise BadEvent(f"start.dateTime {raw!r} has no offset")
        return moment.astimezone(UTC)
    day = value.get("date")
    if isinstance(day, str) and day:
        try:
            parsed = date.fromisoformat(day)
        except ValueError as exc:
            raise BadEvent(f"start.date {day!r} unreadable") from exc
        return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    raise BadEvent("start has neither dateTime nor date")


def _person(entry: Any, *, organizer: bool = False) -> Attendee | None:
    if not isinstance(entry, Mapping):
        return None
    address = str(entry.get("email") or "")
    if not address:
        return None
    name = entry.get("displayName")
    return Attendee(
        address,
        str(name) if isinstance(name, str) and name else None,
        str(entry.get("responseStatus") or ""),
        resource=bool(entry.get("resource")),
        organizer=organizer or bool(entry.get("organizer")),
        is_me=bool(entry.get("self")),
    )


def event_interaction(
    event: Mapping[str, Any], *, account: str, calendar_id: str, me: Me
) -> Interaction:
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise BadEvent("event without id")
    start = parse_start(event.get("start"))
    raw = event.get("attendees") or []
    if not isinstance(raw, list):
        raise BadEvent("attendees is not a list")
    attendees = [a for a in (_person(entry) for entry in raw) if a is not None]
    organizer = _person(event.get("organizer"), organizer=True)
    i_organize = organizer is not None and organizer.is_me
    if attendees and organizer is not None and not organizer.is_me:
        listed = {a.address.lower() for a in attendees}
        if organizer.address.lower() not in listed:
            attendees.append(organizer)
    summary = event.get("summary")
    return meeting_interaction(
        key=event_key(account, calendar_id, event_id),
        source=SOURCE,
        account=account,
        start=start,
        attendees=attendees,
        me=me,
        cancelled=event.get("status") == "cancelled",
        i_organize=i_organize,
        subject=summary if isinstance(summary, str) else None,
        thread_id=str(event.get("recurringEventId") or event.get("iCalUID") or "")[:200] or None,
        truncated=bool(event.get("attendeesOmitted")),
    )
