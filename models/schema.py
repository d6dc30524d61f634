"""Tables of the store. Times are stored as naive UTC so SQLite and PostgreSQL agree."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class PersonRow(Base):
    __tablename__ = "person"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(300))
    name_source: Mapped[str] = mapped_column(String(20), default="correspondence")
    cadence_override: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tier_override: Mapped[str | None] = mapped_column(String(50), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # When the name came from correspondence: the time of the header it was read from, so
    # the most recent name a person uses for themselves wins (models.resolve).
    name_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The user's own answers (`keepwarm people snooze/ignore`): facts no sync may touch.
    snoozed_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    ignored: Mapped[bool] = mapped_column(Boolean, default=False)


class IdentityRow(Base):
    """(kind, value) belongs to exactly one person; `pinned` marks a manual merge/split."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identity_kind_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(320))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(120))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)


class CardRow(Base):
    __tablename__ = "card"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(100), index=True)
    person_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), nullable=True, index=True
    )
    name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    birthday: Mapped[str | None] = mapped_column(String(20), nullable=True)
    is_org: Mapped[bool] = mapped_column(Boolean, default=False)
    origin: Mapped[str] = mapped_column(String(500), default="")
    round: Mapped[str | None] = mapped_column(String(100), nullable=True)


class InteractionRow(Base):
    __tablename__ = "interaction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(100), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10))
    group_size: Mapped[int] = mapped_column(Integer)
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    declined: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    thread_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    round: Mapped[str | None] = mapped_column(String(100), nullable=True)
    to_me: Mapped[bool] = mapped_column(Boolean, default=False)
    newsletter: Mapped[bool] = mapped_column(Boolean, default=False)


class ParticipantRow(Base):
    __tablename__ = "participant"
    __table_args__ = (Index("ix_participant_identity", "kind", "value"),)

    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interaction.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    role: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    declined: Mapped[bool] = mapped_column(Boolean, default=False)


class ContactRow(Base):
    """Derived: one row per (interaction, participant identity) that counts as contact under
    the rules ignoring time (models.rules.counts_as_contact), with the identity's person.

    The facts stay in interaction/participant; this table is rebuilt from them whenever the
    rules' thresholds change (see MetaRow), so it never needs a re-sync. `person_id` is null
    for identities that are no person (yet), e.g. someone who only ever wrote to you.
    """

    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("interaction_id", "kind", "value", name="uq_contact_interaction_identity"),
        # The report's per-person probes read these indexes only (they cover the queries):
        # newest contact, interactions in a year and contact days; newest per direction.
        Index("ix_contact_person_time", "person_id", "occurred_at", "interaction_id", "day"),
        Index("ix_contact_person_direction", "person_id", "direction", "occurred_at"),
        Index("ix_contact_person_personal", "person_id", "personal", "occurred_at"),  # replies
        Index("ix_contact_identity", "kind", "value"),  # re-pointing an identity's rows
        Index("ix_contact_time", "occurred_at"),  # planned meetings (after the cutoff)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(320))
    person_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), nullable=True
    )
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(100))
    # Inbound mail that asked for your reply: you in To, few recipients (the digest's `reply`).
    personal: Mapped[bool] = mapped_column(Boolean, default=False)


class MachineSenderRow(Base):
    """Derived: addresses that sent you automated mail or a newsletter addressed to you alone.
    They never become people, and mail you send them is not contact (DESIGN.md)."""

    __tablename__ = "machine_sender"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)


class PersonActionRow(Base):
    """What the user did about a person (snooze, ignore, log, merge, …), for `people show`."""

    __tablename__ = "person_action"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MergeRecordRow(Base):
    """A manual merge (`keepwarm people merge`): what moved from the merged person to the kept
    one and what the kept one looked like before, so `people unmerge` restores both exactly.
    Not a foreign key: the merged person no longer exists, the kept one may be deleted later."""

    __tablename__ = "merge_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kept_id: Mapped[str] = mapped_column(String(36), index=True)
    merged_id: Mapped[str] = mapped_column(String(36))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class DigestItemRow(Base):
    """Who a delivered digest named, and as what: the rotation reads it (`repeat_after_days`)."""

    __tablename__ = "digest_item"
    __table_args__ = (
        UniqueConstraint("report_date", "person_id", name="uq_digest_item_day_person"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_date: Mapped[date] = mapped_column(Date, index=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))


class MetaRow(Base):
    """Small store-wide facts, e.g. the rules fingerprint the contact table was built with."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncStateRow(Base):
    __tablename__ = "sync_state"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    cursor: Mapped[str | None] = mapped_column(Text, nullable=True)
    advanced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    skipped_total: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryRow(Base):
    """The delivery ledger: one row per (report day, channel, recipient) makes sends exactly-once.

    A row is reserved as `sending` before the send and marked `sent` after it, so a retried
    flow run or a second nightly the same day finds it and sends nothing new.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("report_date", "channel", "recipient", name="uq_delivery_day_channel_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_date: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class LeaseRow(Base):
    """A named lease (models.leases): an account's sync, a provider's quota slot."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(300), nullable=True)
    acquired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
