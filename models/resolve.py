"""Identity resolution: which person an email address or phone number belongs to.

Rules (DESIGN.md): a card's identities form one person (merging people the card proves are
one); a correspondent becomes a person only once you wrote to them or met them; bulk and
noreply senders never become people. Manually pinned identities are never moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from models.identity import display_name_from_email, is_noreply
from models.records import ContactCard
from models.rules import assign_identities, move_person_contacts
from models.schema import CardRow, ContactRow, IdentityRow, ParticipantRow, PersonRow


def new_person_id() -> str:
    return str(uuid.uuid4())


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
        for (kind, value), name in wanted.items():
            if (kind, value) in owners:
                continue
            fallback = display_name_from_email(value) if kind == "email" else value
            display = name if name and "@" not in name else fallback
            person = self._new_person(display, "correspondence" if name else "address")
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
    rank = {"manual": 3, "card": 2, "correspondence": 1, "address": 0}
    if rank.get(other.name_source, 0) > rank.get(target.name_source, 0):
        target.display_name, target.name_source = other.display_name, other.name_source
    session.flush()
    session.delete(other)
    session.flush()
