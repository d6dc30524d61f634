"""One meeting, three sources: the same meeting as an .ics VEVENT, a Microsoft Graph event and a
Google Calendar event yields the same contact rows (who, when, whether it counts) — the three
map through connectors.common.meeting and the store's rules decide alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import Me
from connectors.gcal.mapping import event_interaction as gcal_event
from connectors.ics.read import read_ics_file
from connectors.outlook.mapping import event_interaction as graph_event
from models.config import RulesConfig
from models.records import Interaction
from models.schema import ContactRow
from models.store import Store

ME = "me@example.com"
START = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def me() -> Me:
    return Me(frozenset({ME}))


# A meeting: (organizer, [(address, response, room?)]), each source's spelling of it.
Guest = tuple[str, str, bool]
CASES: dict[str, tuple[str, list[Guest], bool]] = {
    "small, one declined, a room": (
        ME,
        [
            ("ada@acme.example", "accepted", False),
            ("bob@acme.example", "declined", False),
            ("room-4@resource.example", "accepted", True),
        ],
        False,
    ),
    "their meeting, I declined": (
        "cy@acme.example",
        [("cy@acme.example", "accepted", False), (ME, "declined", False)],
        False,
    ),
    "their meeting, I accepted": (
        "cy@acme.example",
        [
            ("cy@acme.example", "accepted", False),
            (ME, "accepted", False),
            ("dee@acme.example", "tentative", False),
        ],
        False,
    ),
    "cancelled": (ME, [("ada@acme.example", "accepted", False)], True),
    "too big": (ME, [(f"p{n}@acme.example", "accepted", False) for n in range(9)], False),
}

ICS_PARTSTAT = {"accepted": "ACCEPTED", "declined": "DECLINED", "tentative": "TENTATIVE"}
GRAPH_RESPONSE = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentativelyAccepted",
}


def as_ics(organizer: str, guests: list[Guest], cancelled: bool, tmp: Path, me: Me) -> Interaction:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN", "BEGIN:VEVENT", "UID:same@x",
             f"DTSTART:{START:%Y%m%dT%H%M%SZ}", f"ORGANIZER:mailto:{organizer}"]  # fmt: skip
    for address, response, room in guests:
        cutype = ";CUTYPE=ROOM" if room else ""
        lines.append(f"ATTENDEE;PARTSTAT={ICS_PARTSTAT[response]}{cutype}:mailto:{address}")
    if cancelled:
        lines.append("STATUS:CANCELLED")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    path = tmp / "one.ics"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = read_ics_file(
        path, account="ics", me=me, start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    (record,) = result.interactions
    return record


def as_graph(organizer: str, guests: list[Guest], cancelled: bool, me: Me) -> Interaction:
    mine = next((r for a, r, _ in guests if a == ME), "organizer" if organizer == ME else "none")
    event: dict[str, Any] = {
        "id": "AAMk-same",
        "start": {"dateTime": START.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"},
        "isOrganizer": organizer == ME,
        "isCancelled": cancelled,
        "responseStatus": {"response": GRAPH_RESPONSE.get(mine, mine)},
        "organizer": {"emailAddress": {"address": organizer}},
        "attendees": [
            {
                "emailAddress": {"address": a},
                "type": "resource" if room else "required",
                "status": {"response": GRAPH_RESPONSE[r]},
            }
            for a, r, room in guests
            if a != ME
        ],
    }
    record = graph_event(event, account="outlook", me=me)
    assert record is not None
    return record


def as_google(organizer: str, guests: list[Guest], cancelled: bool, me: Me) -> Interaction:
    attendees = [
        {"email": a, "responseStatus": r, **({"resource": True} if room else {}),
         **({"self": True} if a == ME else {}), **({"organizer": True} if a == organizer else {})}
        for a, r, room in guests
    ]  # fmt: skip
    if organizer == ME:
        attendees.insert(0, {"email": ME, "self": True, "organizer": True,
                             "responseStatus": "accepted"})  # fmt: skip
    event = {
        "id": "same_20260504T093000Z",
        "status": "cancelled" if cancelled else "confirmed",
        "start": {"dateTime": "2026-05-04T11:30:00+02:00", "timeZone": "Europe/Berlin"},
        "organizer": {"email": organizer, **({"self": True} if organizer == ME else {})},
        "attendees": attendees,
        "eventType": "default",
    }
    return gcal_event(event, account="gcal", calendar_id=ME, me=me)


def contact_rows(store: Store, source: str) -> set[tuple[str, datetime]]:
    with store.session() as session:
        return {
            (value, when.replace(tzinfo=UTC))
            for value, when in session.execute(
                select(ContactRow.value, ContactRow.occurred_at).where(ContactRow.source == source)
            )
        }


@pytest.mark.parametrize("case", list(CASES))
def test_a_meeting_counts_alike_from_ics_outlook_and_google(
    case: str, tmp_path: Path, me: Me
) -> None:
    organizer, guests, cancelled = CASES[case]
    makers: dict[str, Callable[[], Interaction]] = {
        "ics": lambda: as_ics(organizer, guests, cancelled, tmp_path, me),
        "outlook": lambda: as_graph(organizer, guests, cancelled, me),
        "gcal": lambda: as_google(organizer, guests, cancelled, me),
    }
    records = {source: make() for source, make in makers.items()}
    shapes = {
        source: (
            r.occurred_at, r.group_size, r.cancelled, r.declined,
            frozenset((p.value, p.declined) for p in r.participants),
        )
        for source, r in records.items()
    }  # fmt: skip
    assert shapes["gcal"] == shapes["ics"] == shapes["outlook"], shapes
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    try:
        from models.records import Batch

        for source, record in records.items():
            store.apply_batch(source, source, Batch([record]), RulesConfig())
        rows = {source: contact_rows(store, source) for source in records}
        assert rows["gcal"] == rows["ics"] == rows["outlook"]
        counts = {"small, one declined, a room", "their meeting, I accepted"}
        assert bool(rows["gcal"]) == (case in counts)
    finally:
        store.close()
