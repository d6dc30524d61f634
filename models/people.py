"""Manual corrections to identity resolution: merge, split, and per-person settings.

Manual changes pin the identities involved so a later sync never undoes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from models.config import RulesConfig
from models.identity import display_name_from_email, normalize_email, normalize_phone
from models.records import Channel, IdentityKind, Interaction, Participant
from models.resolve import merge_people, new_person_id
from models.rules import MANUAL_SOURCE, assign_identities
from models.schema import (
    CardRow,
    ContactRow,
    IdentityRow,
    MergeRecordRow,
    PersonActionRow,
    PersonRow,
)
from models.store import Store
from models.times import from_db, utc_naive


class PersonNotFound(LookupError):
    pass


class Refused(ValueError):
    """A correction that makes no sense (merge a person with itself, empty a person, undo a
    merge that never happened): nothing was changed."""


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
    name_source: str = ""
    card_categories: dict[str, list[str]] = field(default_factory=dict)  # card key → CATEGORIES
    card_places: dict[str, str] = field(default_factory=dict)  # card key → where it is, in words
    changed: bool = True  # False when the command asked for the state the person was already in


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
    card_rows = list(session.scalars(select(CardRow).where(CardRow.person_id == person.id)))
    cards = [c.key for c in card_rows]
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
        name_source=person.name_source,
        card_categories={c.key: list(c.categories or []) for c in card_rows},
        card_places={c.key: card_place(c) for c in card_rows},
    )


def card_place(card: CardRow) -> str:
    """Where a card lives, as the user would find it: 'contacts.vcf:31 in account contacts —
    Jonas Berg' (the stored key is an opaque hash)."""
    place = f"{card.origin or card.key} in account {card.account}"
    return f"{place} — {card.name}" if card.name else place


def list_people(store: Store) -> list[PersonView]:
    with store.session() as session:
        people = session.scalars(select(PersonRow).order_by(PersonRow.display_name))
        return [_view(session, p) for p in people]


def show_person(store: Store, ref: str, default_region: str = "US") -> PersonView:
    with store.session() as session:
        return _view(session, _find(session, ref, default_region))


def merge(store: Store, keep: str, other: str, default_region: str = "US") -> PersonView:
    """Merge `other` into `keep` (pinned: a later sync will not undo it), recording what moved
    so `unmerge` can restore both people exactly."""
    with store.write_session() as session:
        target = _find(session, keep, default_region)
        source = _find(session, other, default_region)
        if target.id == source.id:
            raise Refused(
                f"{keep!r} and {other!r} are the same person ({target.display_name}, "
                f"{target.id[:8]}); nothing to merge"
            )
        identities = list(
            session.scalars(select(IdentityRow).where(IdentityRow.person_id == source.id))
        )
        snapshot = {
            "merged": _columns(source),
            "kept": _columns(target),
            "identities": [[i.kind, i.value, i.pinned] for i in identities],
            "cards": list(
                session.scalars(select(CardRow.key).where(CardRow.person_id == source.id))
            ),
            "actions": list(
                session.scalars(
                    select(PersonActionRow.id).where(PersonActionRow.person_id == source.id)
                )
            ),
        }
        session.execute(
            update(IdentityRow).where(IdentityRow.person_id == source.id).values(pinned=True)
        )
        merged_name, merged_id = source.display_name, source.id
        merge_people(session, target.id, source.id)
        session.add(
            MergeRecordRow(
                kept_id=target.id,
                merged_id=merged_id,
                snapshot=snapshot,
                created_at=utc_naive(datetime.now(UTC)),
            )
        )
        _record(session, target, "merge", f"merged {merged_name} ({merged_id[:8]}) into this")
        session.flush()
        return _view(session, target)


_PERSON_COLUMNS = (
    "display_name",
    "name_source",
    "cadence_override",
    "tier_override",
    "created_at",
    "name_at",
    "snoozed_until",
    "ignored",
)


def _columns(person: PersonRow) -> dict[str, object]:
    """A person's own columns as JSON-safe values (dates as ISO text)."""
    values: dict[str, object] = {}
    for name in _PERSON_COLUMNS:
        value = getattr(person, name)
        values[name] = value.isoformat() if isinstance(value, date) else value
    return values


def _restore(person: PersonRow, values: dict[str, object]) -> None:
    for name in _PERSON_COLUMNS:
        value = values.get(name)
        if isinstance(value, str) and name in ("created_at", "name_at"):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and name == "snoozed_until":
            value = date.fromisoformat(value)
        setattr(person, name, value)


@dataclass(frozen=True, slots=True)
class Unmerged:
    kept: PersonView
    restored: PersonView
    moved: int  # identities given back


def unmerge(store: Store, ref: str, default_region: str = "US") -> Unmerged:
    """Undo the newest manual merge into this person: the merged person comes back with its
    id, name, tier, cadence, snooze, identities (as pinned as they were), cards and actions,
    and the kept person gets back what it had before. Identities that left the kept person
    since (a split) stay where they are."""
    with store.write_session() as session:
        person = _find(session, ref, default_region)
        record = session.scalar(
            select(MergeRecordRow)
            .where(MergeRecordRow.kept_id == person.id, MergeRecordRow.undone_at.is_(None))
            .order_by(MergeRecordRow.id.desc())
        )
        if record is None:
            raise Refused(
                f"{person.display_name} ({person.id[:8]}) has no merge to undo; "
                "`keepwarm people show` lists what was done to them"
            )
        snap = record.snapshot
        if session.get(PersonRow, record.merged_id) is not None:
            raise Refused(f"person {record.merged_id[:8]} exists again; cannot unmerge")
        restored = PersonRow(id=record.merged_id)
        _restore(restored, dict(snap["merged"]))
        session.add(restored)
        session.flush()
        owners: list[tuple[str, str, str | None]] = []
        for kind, value, pinned in snap["identities"]:
            row = session.scalar(
                select(IdentityRow).where(
                    IdentityRow.kind == kind,
                    IdentityRow.value == value,
                    IdentityRow.person_id == person.id,
                )
            )
            if row is not None:
                row.person_id, row.pinned = restored.id, bool(pinned)
                owners.append((kind, value, restored.id))
        if snap["cards"]:
            session.execute(
                update(CardRow)
                .where(CardRow.key.in_(snap["cards"]), CardRow.person_id == person.id)
                .values(person_id=restored.id)
            )
        if snap["actions"]:
            session.execute(
                update(PersonActionRow)
                .where(PersonActionRow.id.in_(snap["actions"]))
                .values(person_id=restored.id)
            )
        session.flush()
        assign_identities(session, owners)
        _restore(person, dict(snap["kept"]))
        record.undone_at = utc_naive(datetime.now(UTC))
        _record(
            session,
            person,
            "unmerge",
            f"gave back {restored.display_name} ({restored.id[:8]}): {len(owners)} identities",
        )
        _record(session, restored, "unmerge", f"split back out of {person.display_name}")
        session.flush()
        return Unmerged(_view(session, person), _view(session, restored), len(owners))


def delete_person(store: Store, ref: str, default_region: str = "US") -> PersonView:
    """Forget a person: their identities, corrections and actions go; the interactions the
    sources hold stay (they are the sources' facts), so a later sync that meets the address
    again makes a new person. To keep someone out of the digest for good, ignore them."""
    with store.write_session() as session:
        person = _find(session, ref, default_region)
        view = _view(session, person)
        session.execute(
            update(ContactRow).where(ContactRow.person_id == person.id).values(person_id=None)
        )
        session.execute(
            update(CardRow).where(CardRow.person_id == person.id).values(person_id=None)
        )
        session.execute(delete(IdentityRow).where(IdentityRow.person_id == person.id))
        session.execute(delete(PersonActionRow).where(PersonActionRow.person_id == person.id))
        session.execute(delete(PersonRow).where(PersonRow.id == person.id))
        return view


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
        count = session.scalar(
            select(func.count()).select_from(IdentityRow).where(IdentityRow.person_id == person.id)
        )
        if (count or 0) <= 1:
            raise Refused(
                f"{identity!r} is {person.display_name}'s only email or phone: splitting it "
                "off would leave an empty person; use `keepwarm people delete` to forget them, "
                "or `keepwarm people unmerge` to undo a merge"
            )
        name = display_name_from_email(row.value) if row.kind == "email" else row.value
        new = PersonRow(
            id=new_person_id(),
            display_name=name,
            name_source="address",
            created_at=utc_naive(datetime.now(UTC)),
        )
        session.add(new)
        session.flush()
        row.person_id, row.pinned = new.id, True
        session.flush()
        assign_identities(session, [(row.kind, row.value, new.id)])
        _record(session, person, "split", f"{row.value} moved to a new person ({new.id[:8]})")
        _record(session, new, "split", f"split off {person.display_name} ({person.id[:8]})")
        session.flush()
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
    if cadence is None and tier is None and name is None and not clear:
        raise Refused("nothing to set: give --cadence, --tier, --name or --clear")
    with store.session() as session:
        person = _find(session, ref, default_region)
        changes: list[str] = []
        if clear:
            person.cadence_override = None
            person.tier_override = None
            changes.append("cleared cadence and tier")
        if cadence is not None:
            person.cadence_override = cadence
            changes.append(f"cadence {cadence} days")
        if tier is not None:
            person.tier_override = tier
            changes.append(f"tier {tier}")
        if name is not None:
            changes.append(f"name {person.display_name!r} → {name!r}")
            person.display_name, person.name_source = name, "manual"
        _record(session, person, "set", "; ".join(changes))
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
        changed = person.snoozed_until is not None
        if changed:
            person.snoozed_until = None
            _record(session, person, "unsnooze")
            session.flush()
        return replace(_view(session, person), changed=changed)


def set_ignored(store: Store, ref: str, ignored: bool, default_region: str = "US") -> PersonView:
    """Never suggest this person in the digest (they stay in the table, marked)."""
    with store.session() as session:
        person = _find(session, ref, default_region)
        changed = bool(person.ignored) != ignored
        if changed:
            person.ignored = ignored
            _record(session, person, "ignore" if ignored else "unignore")
            session.flush()
        return replace(_view(session, person), changed=changed)


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


# -- what `people show` reads beside the report ----------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    """One counting contact with a person, as `people show` lists it."""

    at: datetime
    channel: str
    direction: str
    source: str
    account: str


def contact_history(
    store: Store, person_id: str, until: datetime, limit: int = 10
) -> tuple[dict[str, datetime], list[Contact]]:
    """(newest contact per channel, the `limit` newest contacts), up to `until` (aware UTC):
    counting contact only (models.rules), as the report counts it."""
    cut = utc_naive(until)
    with store.session() as session:
        newest = {
            channel: from_db(at)
            for channel, at in session.execute(
                select(ContactRow.channel, func.max(ContactRow.occurred_at))
                .where(ContactRow.person_id == person_id, ContactRow.occurred_at <= cut)
                .group_by(ContactRow.channel)
            )
        }
        rows = session.execute(
            select(
                ContactRow.occurred_at,
                ContactRow.channel,
                ContactRow.direction,
                ContactRow.source,
                ContactRow.account,
            )
            .where(ContactRow.person_id == person_id, ContactRow.occurred_at <= cut)
            .order_by(ContactRow.occurred_at.desc())
            .limit(limit)
        )
        recent = [Contact(from_db(at), ch, d, src, acct) for at, ch, d, src, acct in rows]
    return newest, recent
