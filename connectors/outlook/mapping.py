"""A Graph event (one occurrence) → an Interaction, through the shared meeting rules.

Keys. DESIGN.md proposed `outlook:<account>:<event id>:<occurrence start>`. We key by the
event id alone, under a calendar segment: `outlook:<account>:cal:<event id>`, and
`outlook:<account>:<user>:cal:<event id>` in app mode, because:
- `@removed` entries in a delta carry only the id, so a key with the start could not be
  removed without a lookup the connector cannot do (it never reads the store);
- a moved occurrence (an exception) keeps its id, so a start inside the key would leave the
  old-start row behind as a duplicate meeting;
- Graph already gives every occurrence of a series its own id (derived from the series and
  the original start), so the id alone is one row per occurrence;
- the `cal:` segment keeps calendar keys apart from mail keys (`…:mail:<folder>:<id>`), so
  the sweep after a calendar round (a key prefix) can never touch mail, and vice versa.
Keys without the segment (`outlook:<account>[:<user>]:<event id>`) came from before the
sweep; the first initial round after an upgrade sweeps that older prefix (see `legacy_prefix`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import Me
from connectors.common.meeting import Attendee, meeting_interaction
from models.records import Interaction


class BadEvent(ValueError):
    """The event lacks what we need; it becomes a Skip."""


def mailbox_prefix(account: str, user: str | None = None) -> str:
    """`outlook:<account>:`, or `outlook:<account>:<user>:` for one user of an app account."""
    return f"outlook:{account}:{user.lower()}:" if user else f"outlook:{account}:"


def calendar_prefix(account: str, user: str | None = None) -> str:
    return f"{mailbox_prefix(account, user)}cal:"


def legacy_prefix(account: str, user: str | None = None) -> str:
    """Where calendar keys lived before the `cal:` segment (swept once after upgrading)."""
    return mailbox_prefix(account, user)


def event_key(account: str, event_id: str, user: str | None = None) -> str:
    return f"{calendar_prefix(account, user)}{event_id}"


def parse_graph_time(value: Mapping[str, Any] | None, all_day: bool) -> datetime:
    """`{"dateTime": "2024-05-01T10:00:00.0000000", "timeZone": "UTC"}` → aware UTC."""
    if not isinstance(value, Mapping) or not isinstance(value.get("dateTime"), str):
        raise BadEvent("start.dateTime missing")
    text: str = value["dateTime"].rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    try:
        naive = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadEvent(f"start.dateTime {value['dateTime']!r} unreadable") from exc
    if all_day:
        return datetime(naive.year, naive.month, naive.day, tzinfo=UTC)
    zone_name = str(value.get("timeZone") or "UTC")
    if zone_name.upper() in {"UTC", "ETC/UTC", "Z"}:
        return naive.replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadEvent(f"time zone {zone_name!r} unknown (we ask Graph for UTC)") from exc
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _email(entry: Any) -> tuple[str, str | None]:
    address = entry.get("emailAddress") if isinstance(entry, Mapping) else None
    if not isinstance(address, Mapping):
        return "", None
    return str(address.get("address") or ""), address.get("name")


def _attendees(event: Mapping[str, Any]) -> list[Attendee]:
    out: list[Attendee] = []
    address, name = _email(event.get("organizer"))
    if address:
        out.append(Attendee(address, name, "organizer", organizer=True))
    raw = event.get("attendees") or []
    if not isinstance(raw, list):
        raise BadEvent("attendees is not a list")
    for entry in raw:
        address, name = _email(entry)
        if not address:
            continue
        status = entry.get("status") if isinstance(entry.get("status"), Mapping) else {}
        out.append(
            Attendee(
                address,
                name,
                str(status.get("response") or ""),
                resource=str(entry.get("type") or "").lower() == "resource",
            )
        )
    return out


def event_interaction(
    event: Mapping[str, Any], *, account: str, me: Me, user: str | None = None
) -> Interaction | None:
    """None for series masters (calendarView delivers each occurrence by itself)."""
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise BadEvent("event without id")
    if event.get("type") == "seriesMaster":
        return None
    all_day = bool(event.get("isAllDay"))
    start = parse_graph_time(event.get("start"), all_day)
    response_status = event.get("responseStatus")
    my_response = None
    if isinstance(response_status, Mapping) and response_status.get("response"):
        my_response = str(response_status["response"])
    subject = event.get("subject")
    return meeting_interaction(
        key=event_key(account, event_id, user),
        source="outlook",
        account=account,
        start=start,
        attendees=_attendees(event),
        me=me,
        cancelled=bool(event.get("isCancelled")),
        my_response=my_response,
        i_organize=bool(event.get("isOrganizer")),
        subject=subject if isinstance(subject, str) else None,
        thread_id=event.get("seriesMasterId") or event.get("iCalUId") or None,
    )
