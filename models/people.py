"""Manual corrections to identity resolution: merge, split, and per-person settings.

Manual changes pin the identities involved so a later sync never undoes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.identity import normalize_email, normalize_phone
from models.resolve import merge_people, new_person_id
from models.rules import assign_identities
from models.schema import CardRow, IdentityRow, PersonRow
from models.store import Store
from models.times import utc_naive


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
    return PersonView(
        id=person.id,
        name=person.display_name,
        emails=[i.value for i in identities if i.kind == "email"],
        phones=[i.value for i in identities if i.kind == "phone"],
        cadence_override=person.cadence_override,
        tier_override=person.tier_override,
        cards=cards,
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
