"""Manual corrections to identity resolution: merge, split, and per-person settings.

Manual changes pin the identities involved so a later sync never undoes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.config import RulesConfig
from models.identity import normalize_email, normalize_phone
from models.records import Channel, IdentityKind, Interaction, Participant
from models.resolve import merge_people, new_person_id
from models.rules import MANUAL_SOURCE, assign_identities
from models.schema import CardRow, IdentityRow, PersonActionRow, PersonRow
from models.store import Store
from models.times import from_db, utc_naive


class PersonNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class PersonView:
    id: str
    name: str
    emails: list[str]
    phones: list[str]
    cadence_override: int | None
    tier_override: str | None
    cards: list[str]
    snoozed_until: date | None = None
    ignored: bool = False
    actions: list[tuple[datetime, str, str]] = field(default_factory=list)  # (when, what, detail)


def _find(session: Session, ref: str, default_region: str) -> PersonRow:
    """By id (or unique id prefix), email, phone, or unique name match."""
    person = session.get(PersonRow, ref)
    if person is not None:
        return person
    for kind, value in (
        ("email", normalize_email(ref)),
        ("phone", normalize_phone(ref, default_region) if any(c.isdigit() for c in ref) else None),
    ):
        if value:
            identity = session.scalar(
                select(IdentityRow).where(IdentityRow.kind == kind, IdentityRow.value == value)
            )
            if identity is not None:
                found = session.get(PersonRow, identity.person_id)
                if found is not None:
                    return found
    matches = list(
        session.scalars(
            select(PersonRow).where(
                or_(PersonRow.id.like(f"{ref}%"), PersonRow.display_name.ilike(f"%{ref}%"))
            )
        )
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise PersonNotFound(f"no person matches {ref!r}; try `keepwarm people list`")
    names = ", ".join(f"{m.display_name} ({m.id[:8]})" for m in matches[:8])
    raise PersonNotFound(f"{ref!r} matches several people: {names}; use the id")


def _view(session: Session, person: PersonRow) -> PersonView:
    identities = list(
        session.scalars(select(IdentityRow).where(IdentityRow.person_id == person.id))
    )
    cards = list(session.scalars(select(CardRow.key).where(CardRow.person_id == person.id)))
    actions = [
        (from_db(row.created_at), row.action, row.detail)
        for row in session.scalars(
            select(PersonActionRow)
            .where(PersonActionRow.person_id == person.id)
            .order_by(PersonActionRow.id)
        )
    ]
    return PersonView(
        id=person.id,
        name=person.display_name,
        emails=[i.value for i in identities if i.kind == "email"],
        phones=[i.value for i in identities if i.kind == "phone"],
        cadence_override=person.cadence_override,
        tier_override=person.tier_override,
        cards=cards,
        snoozed_until=person.snoozed_until,
        ignored=person.ignored,
        actions=actions,
    )


def list_people(store: Store) -> list[PersonView]:
    with store.session() as session:
        people = session.scalars(select(PersonRow).order_by(PersonRow.display_name))
        return [_view(session, p) for p in people]


def show_person(store: Store, ref: str, default_region: str = "US") -> PersonView:
    with store.session() as session:
        return _view(session, _find(session, ref, default_region))


def merge(store: Store, keep: str, other: str, default_region: str = "US") -> PersonView:
    with store.write_session() as session:
        target = _find(session, keep, default_region)
        source = _find(session, other, default_region)
        if target.id == source.id:
            return _view(session, target)
        session.execute(
            update(IdentityRow).where(IdentityRow.person_id == source.id).values(pinned=True)
        )
        merge_people(session, target.id, source.id)
        return _view(session, target)


def split(store: Store, ref: str, identity: str, default_region: str = "US") -> PersonView:
    """Move one identity (email or phone) of a person to a new person of its own."""
    with store.write_session() as session:
        person = _find(session, ref, default_region)
        value = normalize_email(identity) or normalize_phone(identity, default_region)
        row = session.scalar(
            select(IdentityRow).where(
                IdentityRow.person_id == person.id, IdentityRow.value == value
            )
        )
        if row is None:
            raise PersonNotFound(f"{person.display_name} has no identity {identity!r}")
        new = PersonRow(
            id=new_person_id(),
            display_name=identity,
            name_source="manual",
            created_at=utc_naive(datetime.now(UTC)),
        )
        session.add(new)
        session.flush()
        row.person_id, row.pinned = new.id, True
        session.flush()
        assign_identities(session, [(row.kind, row.value, new.id)])
        return _view(session, new)


def set_options(
    store: Store,
    ref: str,
    *,
    cadence: int | None = None,
    tier: str | None = None,
    name: str | None = None,
    clear: bool = False,
    default_region: str = "US",
) -> PersonView:
    with store.session() as session:
        person = _find(session, ref, default_region)
        if clear:
            person.cadence_override = None
            person.tier_override = None
        if cadence is not None:
            person.cadence_override = cadence
        if tier is not None:
            person.tier_override = tier
        if name is not None:
            person.display_name, person.name_source = name, "manual"
        session.flush()
        return _view(session, person)


# -- the user answers back: snooze, ignore, log ------------------------------------------
# Facts the user states about a person. They live on the person (and, for logged contact, as
# `manual:` interactions no source ever sweeps), so re-syncs and backfills never touch them.


def _record(session: Session, person: PersonRow, action: str, detail: str = "") -> None:
    session.add(
        PersonActionRow(
            person_id=person.id,
            action=action,
            detail=detail,
            created_at=utc_naive(datetime.now(UTC)),
        )
    )


def snooze(store: Store, ref: str, until: date, default_region: str = "US") -> PersonView:
    """Keep a person out of the digest until `until` (they come back that day)."""
    with store.session() as session:
        person = _find(session, ref, default_region)
        person.snoozed_until = until
        _record(session, person, "snooze", f"until {until.isoformat()}")
        session.flush()
        return _view(session, person)


def unsnooze(store: Store, ref: str, default_region: str = "US") -> PersonView:
    with store.session() as session:
        person = _find(session, ref, default_region)
        person.snoozed_until = None
        _record(session, person, "unsnooze")
        session.flush()
        return _view(session, person)


def set_ignored(store: Store, ref: str, ignored: bool, default_region: str = "US") -> PersonView:
    """Never suggest this person in the digest (they stay in the table, marked)."""
    with store.session() as session:
        person = _find(session, ref, default_region)
        person.ignored = ignored
        _record(session, person, "ignore" if ignored else "unignore")
        session.flush()
        return _view(session, person)


LOG_CHANNELS = ("call", "meeting", "message", "in-person")


def log_contact(
    store: Store,
    ref: str,
    channel: str,
    at: datetime,
    rules: RulesConfig,
    default_region: str = "US",
) -> PersonView:
    """Contact no connector can see (a phone call, a coffee): it counts like any other."""
    if channel not in LOG_CHANNELS:
        raise ValueError(f"channel {channel!r}: choose one of {', '.join(LOG_CHANNELS)}")
    with store.session() as session:
        person = _find(session, ref, default_region)
        identity = session.scalar(
            select(IdentityRow)
            .where(IdentityRow.person_id == person.id)
            .order_by(IdentityRow.kind, IdentityRow.id)  # email before phone
        )
        if identity is None:
            raise PersonNotFound(
                f"{person.display_name} has no email or phone to log contact with; add one to "
                "their card, or `keepwarm people merge` them with the person who has it"
            )
        person_id, kind, value = person.id, identity.kind, identity.value
    record = Interaction(
        key=f"{MANUAL_SOURCE}:{uuid.uuid4()}",
        source=MANUAL_SOURCE,
        account=MANUAL_SOURCE,
        occurred_at=at,
        channel=cast(Channel, channel),
        direction="mutual",
        participants=(Participant(cast(IdentityKind, kind), value, "attendee"),),
        group_size=1,
    )
    store.add_manual(record, f"{channel} on {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC", rules)
    with store.session() as session:
        found = session.get(PersonRow, person_id)
        if found is None:
            raise PersonNotFound(f"{ref!r} disappeared while logging; try again")
        return _view(session, found)
