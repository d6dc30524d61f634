"""Turning one calendar occurrence into an Interaction — shared by .ics, Outlook and Google
Calendar.

One roster rule for all: you are never a participant, rooms and resources are never people,
declined attendees are kept but flagged (so they do not count), and the group size is everyone
else who is a person — or, when the source cut the guest list short (Google's
`attendeesOmitted`), `TRUNCATED_GROUP`: a big meeting whatever `max_meeting_size` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.base import Me
from models.identity import normalize_email
from models.records import Interaction, Participant, Role

DECLINED = frozenset({"declined", "decline"})
# The group size of a meeting whose guest list the source truncated: larger than any sensible
# `max_meeting_size`, and still a 32-bit integer for PostgreSQL's INTEGER column.
TRUNCATED_GROUP = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Attendee:
    """As the source states it: raw address, display name, response and kind."""

    address: str
    name: str | None = None
    response: str = ""  # accepted / tentative / declined / needs-action / none …
    resource: bool = False
    organizer: bool = False
    is_me: bool = False  # the source says this entry is you (Google's `self`), whatever address


def looks_like_resource(address: str, name: str | None) -> bool:
    """Rooms that a source did not mark as CUTYPE=ROOM / type=resource."""
    text = f"{address} {name or ''}".lower()
    return any(word in text for word in ("room", "conference-", "resource", "equipment"))


def meeting_interaction(
    *,
    key: str,
    source: str,
    account: str,
    start: datetime,
    attendees: Sequence[Attendee],
    me: Me,
    cancelled: bool = False,
    my_response: str | None = None,
    i_organize: bool | None = None,
    subject: str | None = None,
    thread_id: str | None = None,
    truncated: bool = False,
) -> Interaction:
    """`my_response` / `i_organize` override what the attendee list says about you;
    `truncated`: the source left guests out, so this is a big meeting."""
    participants: dict[str, Participant] = {}
    my_declined = False
    organizer_is_me = bool(i_organize)
    for attendee in attendees:
        address = normalize_email(attendee.address)
        if address is None:
            continue
        response = attendee.response.strip().lower()
        if attendee.is_me or address in me.emails:
            if attendee.organizer:
                organizer_is_me = True
            elif response in DECLINED:
                my_declined = True
            continue
        if attendee.resource or looks_like_resource(address, attendee.name):
            continue
        role: Role = "organizer" if attendee.organizer else "attendee"
        declined = response in DECLINED
        current = participants.get(address)
        if current is None or (role == "organizer" and current.role != "organizer"):
            participants[address] = Participant(
                "email", address, role, attendee.name or None, declined and role != "organizer"
            )
    if my_response is not None:
        my_declined = my_response.strip().lower() in DECLINED
    if organizer_is_me:
        my_declined = False
    people = tuple(participants.values())
    return Interaction(
        key=key,
        source=source,
        account=account,
        occurred_at=start,
        channel="meeting",
        direction="mutual",
        participants=people,
        group_size=TRUNCATED_GROUP if truncated else len(people),
        cancelled=cancelled,
        declined=my_declined,
        subject=subject if me.store_subjects else None,
        thread_id=thread_id,
    )
