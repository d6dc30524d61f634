"""DESIGN.md's "What counts as contact", written once, as SQL over the stored facts.

Connectors store what happened (who, when, which channel, flags); whether it counts is
decided here, and applied into the derived `contact` table at ingest; changing a threshold in
config rebuilds that table from the stored facts, so it needs no re-sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from models.config import RulesConfig
from models.locks import lock_writers
from models.schema import ContactRow, IdentityRow, MachineSenderRow, MetaRow
from models.schema import InteractionRow as I
from models.schema import ParticipantRow as P


def counts_as_contact(rules: RulesConfig) -> ColumnElement[bool]:
    """Participant row P of interaction I is a counting contact (ignoring time)."""
    outbound_email = and_(
        I.channel == "email",
        I.direction == "outbound",
        P.role.in_(("to", "cc", "bcc")),
        I.group_size <= rules.max_email_group,
        I.bulk == false(),
        ~is_machine_sender(P.kind, P.value),
    )
    inbound_email = and_(
        I.channel == "email",
        I.direction == "inbound",
        P.role == "from",
        I.bulk == false(),
        I.automated == false(),
    )
    logged_by_hand = I.source == MANUAL_SOURCE
    return or_(outbound_email, inbound_email, meeting_attended(rules), logged_by_hand)


MANUAL_SOURCE = "manual"  # contact the user logs with `keepwarm people log`


def machine_mail() -> ColumnElement[bool]:
    """Inbound mail that shows its sender is a machine: automated, or a newsletter sent to
    you alone (a list post names the list, a person's reply-all names the others)."""
    return and_(
        I.channel == "email",
        I.direction == "inbound",
        or_(I.automated == true(), and_(I.newsletter == true(), I.group_size <= 1)),
    )


def is_machine_sender(kind: Any, value: Any) -> ColumnElement[bool]:
    return (
        select(MachineSenderRow.kind)
        .where(MachineSenderRow.kind == kind, MachineSenderRow.value == value)
        .exists()
    )


def personal_mail(rules: RulesConfig) -> ColumnElement[bool]:
    """Inbound mail that asks for your reply: you in To, a small group (the digest's `reply`)."""
    return and_(
        I.channel == "email",
        I.direction == "inbound",
        I.to_me == true(),
        I.group_size <= rules.max_email_group,
    )


def meeting_attended(rules: RulesConfig) -> ColumnElement[bool]:
    """A meeting you and this attendee both went to (or will go to), small enough to matter."""
    return and_(
        I.channel == "meeting",
        I.cancelled == false(),
        I.declined == false(),
        P.declined == false(),
        I.group_size <= rules.max_meeting_size,
    )


def happened_by(as_of: datetime) -> ColumnElement[bool]:
    """Past or started: a future meeting is not contact (it is `next_planned_at`)."""
    return I.occurred_at <= as_of


# -- the derived contact table ---------------------------------------------------------
# `contact` holds the participants that counts_as_contact() accepts, so the report reads one
# narrow table instead of re-joining participant ⨝ interaction ⨝ identity. It is derived data:
# the rules above stay its single definition, and a change of thresholds rebuilds it.

# Bump when counts_as_contact's logic (not just its thresholds) changes.
# 2: machine senders, `personal`, hand-logged contact.
CONTACT_DERIVATION = "2"
FINGERPRINT_KEY = "contact_rules"
_CHUNK = 500


def rules_fingerprint(rules: RulesConfig) -> str:
    """What the contact table depends on; a different value means it must be rebuilt."""
    return (
        f"v{CONTACT_DERIVATION};max_email_group={rules.max_email_group};"
        f"max_meeting_size={rules.max_meeting_size}"
    )


def _contact_select(rules: RulesConfig) -> Select[Any]:
    """Participant rows that count, one per (interaction, identity), with their person."""
    return (
        select(
            I.id,
            P.kind,
            P.value,
            IdentityRow.person_id,
            I.occurred_at,
            func.date(I.occurred_at),
            I.channel,
            I.direction,
            I.source,
            I.account,
            personal_mail(rules),
        )
        .select_from(P)
        .join(I, I.id == P.interaction_id)
        .outerjoin(IdentityRow, and_(IdentityRow.kind == P.kind, IdentityRow.value == P.value))
        .where(counts_as_contact(rules))
    )


_CONTACT_COLUMNS = (
    "interaction_id",
    "kind",
    "value",
    "person_id",
    "occurred_at",
    "day",
    "channel",
    "direction",
    "source",
    "account",
    "personal",
)


def _insert_contacts(session: Session, source: Select[Any]) -> None:
    """INSERT … SELECT; a participant in two counting roles (To and Cc) is one contact, kept
    by the unique (interaction, identity) key instead of a costly DISTINCT."""
    statement: Executable
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(ContactRow).from_select(_CONTACT_COLUMNS, source)
        statement = statement.on_conflict_do_nothing()
    else:
        statement = sqlite_insert(ContactRow).from_select(_CONTACT_COLUMNS, source)
        statement = statement.on_conflict_do_nothing()
    session.execute(statement)


def _machine_senders_of(where: ColumnElement[bool]) -> Select[Any]:
    return cast(
        Select[Any],
        select(P.kind, P.value)
        .select_from(P)
        .join(I, I.id == P.interaction_id)
        .where(P.role == "from", machine_mail(), where)
        .distinct(),
    )


def _insert_machine_senders(session: Session, source: Select[Any]) -> None:
    columns = ("kind", "value")
    statement: Executable
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(MachineSenderRow).from_select(columns, source)
    else:
        statement = sqlite_insert(MachineSenderRow).from_select(columns, source)
    session.execute(statement.on_conflict_do_nothing())


def note_machine_senders(session: Session, interaction_ids: Sequence[int]) -> None:
    """Senders these interactions reveal as machines: mail you sent them stops counting,
    back to the first message (a newsletter you replied to in 2017 is not a person)."""
    ids = sorted(set(interaction_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = session.execute(_machine_senders_of(I.id.in_(chunk))).all()
        if not found:
            continue
        _insert_machine_senders(session, _machine_senders_of(I.id.in_(chunk)))
        for kind, value in found:
            session.execute(
                delete(ContactRow).where(
                    ContactRow.kind == kind,
                    ContactRow.value == value,
                    ContactRow.direction == "outbound",
                )
            )


def refresh_contacts(session: Session, rules: RulesConfig, interaction_ids: Sequence[int]) -> None:
    """Re-derive the contact rows of these (just upserted) interactions."""
    ids = sorted(set(interaction_ids))
    note_machine_senders(session, ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(ContactRow).where(ContactRow.interaction_id.in_(chunk)))
        _insert_contacts(session, _contact_select(rules).where(I.id.in_(chunk)))


def forget_contacts(session: Session, interaction_ids: Sequence[int]) -> None:
    """Drop the contact rows of interactions about to be deleted."""
    ids = list(interaction_ids)
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            delete(ContactRow).where(ContactRow.interaction_id.in_(ids[start : start + _CHUNK]))
        )


def rebuild_contacts(session: Session, rules: RulesConfig) -> None:
    """Derive the whole contact table again (thresholds changed, or a store just migrated).

    The secondary indexes are dropped and built again after the load: sorting once is much
    cheaper than a million random index inserts."""
    connection = session.connection()
    table = cast(Table, ContactRow.__table__)
    session.execute(delete(ContactRow))
    session.execute(delete(MachineSenderRow))
    _insert_machine_senders(session, _machine_senders_of(true()))
    for index in table.indexes:
        index.drop(connection)
    _insert_contacts(session, _contact_select(rules))
    for index in table.indexes:
        index.create(connection)
    fingerprint = rules_fingerprint(rules)
    row = session.get(MetaRow, FINGERPRINT_KEY)
    if row is None:
        session.add(MetaRow(key=FINGERPRINT_KEY, value=fingerprint))
    else:
        row.value = fingerprint
    session.flush()


def ensure_contacts(session: Session, rules: RulesConfig) -> bool:
    """Rebuild the contact table when it was built under other rules; True if it rebuilt.

    A rebuild first takes the writers' lock (Store.write_session holds it for every batch), so
    it never interleaves with a batch derived under other rules, and concurrent callers
    rebuild once: the second finds the new fingerprint. The fingerprint row (seeded by the
    migration) is locked too, for stores written without that lock."""
    fingerprint = rules_fingerprint(rules)
    current = session.scalar(select(MetaRow.value).where(MetaRow.key == FINGERPRINT_KEY))
    if current == fingerprint:
        return False
    lock_writers(session)
    locked = session.scalar(
        select(MetaRow.value).where(MetaRow.key == FINGERPRINT_KEY).with_for_update()
    )
    if locked == fingerprint:
        return False
    rebuild_contacts(session, rules)
    return True


def assign_identities(session: Session, owners: Sequence[tuple[str, str, str | None]]) -> None:
    """(kind, value) now belongs to person_id: move its contact rows along."""
    if not owners:
        return
    table = cast(Table, ContactRow.__table__)
    session.execute(
        update(table)
        .where(table.c.kind == bindparam("k"), table.c.value == bindparam("v"))
        .values(person_id=bindparam("pid")),
        [{"k": kind, "v": value, "pid": person_id} for kind, value, person_id in owners],
    )


def move_person_contacts(session: Session, from_id: str, to_id: str) -> None:
    """Every identity of `from_id` now belongs to `to_id` (a merge)."""
    session.execute(
        update(ContactRow).where(ContactRow.person_id == from_id).values(person_id=to_id)
    )
