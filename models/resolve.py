"""Identity resolution: which person an email address or phone number belongs to.

Rules (DESIGN.md): a card's identities form one person (merging people the card proves are
one); a correspondent becomes a person only once you wrote to them or met them; bulk and
noreply senders never become people. Manually pinned identities are never moved.

A person's name (DESIGN.md): one you set by hand, else the card's, else the display name they
use in their own From header (the most recent), else one others' headers give them, else one
derived from the address. `name_source` records which, `name_at` when a From name was seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from models.identity import display_name_from_email, is_noreply
from models.records import ContactCard, Interaction
from models.rules import assign_identities, move_person_contacts
from models.schema import (
    CardRow,
    ContactRow,
    IdentityRow,
    InteractionRow,
    ParticipantRow,
    PersonActionRow,
    PersonRow,
)


def new_person_id() -> str:
    return str(uuid.uuid4())


# Where a name came from, strongest first. "correspondence" is the pre-0006 spelling of
# "others" (a name another person's header gave them).
NAME_RANK = {"manual": 5, "card": 4, "self": 3, "others": 2, "correspondence": 2, "address": 0}


def usable_name(name: str | None) -> str | None:
    """A display name worth showing: not empty, not an address, not quoted noise."""
    if not name:
        return None
    cleaned = name.strip().strip("'\"").strip()
    if not cleaned or "@" in cleaned:
        return None
    return cleaned[:300]


class IdentityResolver:
    """Works inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _owners(self, identities: Iterable[tuple[str, str]]) -> dict[tuple[str, str], IdentityRow]:
        found: dict[tuple[str, str], IdentityRow] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, value in identities:
            by_kind.setdefault(kind, []).append(value)
        for kind, values in by_kind.items():
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                for row in self.session.scalars(
                    select(IdentityRow).where(
                        IdentityRow.kind == kind, IdentityRow.value.in_(chunk)
                    )
                ):
                    found[(row.kind, row.value)] = row
        return found

    def _new_person(self, name: str, name_source: str) -> PersonRow:
        person = PersonRow(
            id=new_person_id(),
            display_name=name[:300],
            name_source=name_source,
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
        self.session.add(person)
        self.session.flush()
        return person

    def apply_card(self, card: ContactCard, round_id: str | None = None) -> None:
        """Upsert the card and attach its identities to one person."""
        identities = [("email", e) for e in card.emails] + [("phone", p) for p in card.phones]
        row = self.session.get(CardRow, card.key)
        if row is None:
            row = CardRow(key=card.key)
            self.session.add(row)
        row.source, row.account, row.name = card.source, card.account, card.name
        row.emails, row.phones = list(card.emails), list(card.phones)
        row.categories, row.birthday = list(card.categories), card.birthday
        row.is_org, row.origin, row.round = card.is_org, card.origin, round_id
        if card.is_org:
            row.person_id = None
            return
        owners = self._owners(identities)
        person_ids = [o.person_id for o in owners.values()]
        if row.person_id and self.session.get(PersonRow, row.person_id) is not None:
            target_id = row.person_id
        elif person_ids:
            target_id = max(set(person_ids), key=person_ids.count)
        else:
            name = card.name or (card.emails[0] if card.emails else card.phones[0])
            target_id = self._new_person(name, "card").id
        row.person_id = target_id
        self.session.flush()
        for other in sorted(set(person_ids) - {target_id}):
            if not any(o.pinned for o in owners.values() if o.person_id == other):
                merge_people(self.session, target_id, other)
        owners = self._owners(identities)
        added: list[tuple[str, str, str | None]] = []
        for kind, value in identities:
            if (kind, value) not in owners:
                self.session.add(
                    IdentityRow(
                        kind=kind, value=value, person_id=target_id, source=card.key, pinned=False
                    )
                )
                added.append((kind, value, target_id))
        self.session.flush()
        assign_identities(self.session, added)
        if card.name:
            self.session.execute(
                update(PersonRow)
                .where(PersonRow.id == target_id, PersonRow.name_source != "manual")
                .values(display_name=card.name[:300], name_source="card")
            )
        self.session.flush()

    def people_for(self, interaction_ids: Sequence[int]) -> None:
        """Create people for correspondents you wrote to or met: the contact rows of these
        interactions (already derived by the rules) that are not inbound and have no person
        yet. Machine senders never become people; names come from the headers."""
        wanted: dict[tuple[str, str], str | None] = {}
        ids = list(interaction_ids)
        for start in range(0, len(ids), 500):
            rows = self.session.execute(
                select(ContactRow.kind, ContactRow.value, ParticipantRow.name)
                .join(
                    ParticipantRow,
                    and_(
                        ParticipantRow.interaction_id == ContactRow.interaction_id,
                        ParticipantRow.kind == ContactRow.kind,
                        ParticipantRow.value == ContactRow.value,
                    ),
                )
                .where(
                    ContactRow.interaction_id.in_(ids[start : start + 500]),
                    ContactRow.person_id.is_(None),
                    ContactRow.direction != "inbound",
                )
            )
            for kind, value, name in rows:
                if kind == "email" and is_noreply(value):
                    continue
                if name or (kind, value) not in wanted:
                    wanted[(kind, value)] = name or wanted.get((kind, value))
        if not wanted:
            return
        owners = self._owners(wanted)
        added: list[tuple[str, str, str | None]] = []
        own_names = self._own_names([key for key in wanted if key not in owners])
        for (kind, value), name in wanted.items():
            if (kind, value) in owners:
                continue
            own = own_names.get((kind, value))
            if own is not None:
                person = self._new_person(own[1], "self")
                person.name_at = own[0]
            elif usable_name(name):
                person = self._new_person(usable_name(name) or value, "others")
            else:
                fallback = display_name_from_email(value) if kind == "email" else value
                person = self._new_person(fallback, "address")
            self.session.add(
                IdentityRow(
                    kind=kind,
                    value=value,
                    person_id=person.id,
                    source="correspondence",
                    pinned=False,
                )
            )
            added.append((kind, value, person.id))
        self.session.flush()
        assign_identities(self.session, added)

    def _own_names(
        self, identities: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[datetime, str]]:
        """The newest display name each address used in its own From header, if any."""
        found: dict[tuple[str, str], tuple[datetime, str]] = {}
        emails = [value for kind, value in identities if kind == "email"]
        for start in range(0, len(emails), 500):
            rows = self.session.execute(
                select(ParticipantRow.value, InteractionRow.occurred_at, ParticipantRow.name)
                .join(InteractionRow, InteractionRow.id == ParticipantRow.interaction_id)
                .where(
                    ParticipantRow.kind == "email",
                    ParticipantRow.value.in_(emails[start : start + 500]),
                    ParticipantRow.role == "from",
                    ParticipantRow.name.is_not(None),
                    InteractionRow.direction == "inbound",
                )
            )
            for value, at, name in rows:
                clean = usable_name(name)
                key = ("email", value)
                if clean and (key not in found or at > found[key][0]):
                    found[key] = (at, clean)
        return found

    def names_from(self, interactions: Sequence[Interaction]) -> None:
        """Inbound mail tells how the sender writes their own name: the most recent such
        name replaces one others gave them, one derived from the address, or an older one."""
        newest: dict[str, tuple[datetime, str]] = {}
        for record in interactions:
            if record.direction != "inbound" or record.channel != "email":
                continue
            for p in record.participants:
                name = usable_name(p.name) if p.role == "from" and p.kind == "email" else None
                if name is None:
                    continue
                at = record.occurred_at.astimezone(UTC).replace(tzinfo=None)
                if p.value not in newest or at > newest[p.value][0]:
                    newest[p.value] = (at, name)
        if not newest:
            return
        owners = self._owners([("email", value) for value in newest])
        for (_, value), identity in owners.items():
            at, name = newest[value]
            person = self.session.get(PersonRow, identity.person_id)
            if person is None or NAME_RANK.get(person.name_source, 0) > NAME_RANK["self"]:
                continue
            if person.name_source == "self" and person.name_at and person.name_at >= at:
                continue
            person.display_name, person.name_source, person.name_at = name, "self", at
        self.session.flush()


def merge_people(session: Session, target_id: str, other_id: str) -> None:
    """Move every identity and card of `other` to `target`, keep overrides, drop `other`."""
    if target_id == other_id:
        return
    target = session.get(PersonRow, target_id)
    other = session.get(PersonRow, other_id)
    if target is None or other is None:
        return
    session.execute(
        update(IdentityRow).where(IdentityRow.person_id == other_id).values(person_id=target_id)
    )
    session.execute(
        update(CardRow).where(CardRow.person_id == other_id).values(person_id=target_id)
    )
    move_person_contacts(session, other_id, target_id)
    if target.cadence_override is None:
        target.cadence_override = other.cadence_override
    if target.tier_override is None:
        target.tier_override = other.tier_override
    if NAME_RANK.get(other.name_source, 0) > NAME_RANK.get(target.name_source, 0):
        target.display_name, target.name_source = other.display_name, other.name_source
        target.name_at = other.name_at
    target.ignored = target.ignored or other.ignored
    if other.snoozed_until and (
        target.snoozed_until is None or other.snoozed_until > target.snoozed_until
    ):
        target.snoozed_until = other.snoozed_until
    session.execute(
        update(PersonActionRow)
        .where(PersonActionRow.person_id == other_id)
        .values(person_id=target_id)
    )
    session.flush()
    session.delete(other)
    session.flush()
