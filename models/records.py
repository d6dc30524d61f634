"""Normalized records that every connector yields and the store accepts.

They are plain frozen dataclasses so connectors stay free of the database layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

IdentityKind = Literal["email", "phone"]
Role = Literal["from", "to", "cc", "bcc", "attendee", "organizer"]
# `call`, `message` and `in-person` come only from contact the user logs by hand.
Channel = Literal["email", "meeting", "call", "message", "in-person"]
Direction = Literal["outbound", "inbound", "mutual"]


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone other than you who took part; `value` is already normalized."""

    kind: IdentityKind
    value: str
    role: Role
    name: str | None = None
    declined: bool = False


@dataclass(frozen=True, slots=True)
class Interaction:
    """One message or one meeting occurrence, metadata only (never a body)."""

    key: str
    source: str
    account: str
    occurred_at: datetime
    channel: Channel
    direction: Direction
    participants: tuple[Participant, ...]
    group_size: int
    bulk: bool = False
    automated: bool = False
    cancelled: bool = False
    declined: bool = False
    subject: str | None = None
    thread_id: str | None = None
    # Inbound mail only: you are in To (not only Cc) — a message that asks for your reply.
    to_me: bool = False
    # Inbound mail only: newsletter/marketing markers (List-Unsubscribe, List-Id, Precedence,
    # Gmail's category tabs), whether or not it was addressed to you. With `automated`, what
    # makes its sender a machine sender that never becomes a person (models.rules).
    newsletter: bool = False

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError(f"{self.key}: occurred_at must be timezone-aware")
        if self.occurred_at.utcoffset() != UTC.utcoffset(None):
            object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class ContactCard:
    """An address-book entry: the strongest evidence of who a person is."""

    key: str
    source: str
    account: str
    name: str | None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    birthday: str | None = None
    is_org: bool = False
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Skip:
    """A record a connector could not use: where it was and why, so the user can fix it."""

    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class Sweep:
    """Sent with the last batch of a full read ("round"): every stored record under `prefix`
    (interactions: inside [since, until)) that this round did not deliver is gone at the
    source, so the store deletes it. Mark-and-sweep, keyed by `Batch.round`."""

    prefix: str
    since: datetime | None = None
    until: datetime | None = None
    # Keep bulk, automated and newsletter mail even when the round did not deliver it: a
    # source whose full read skips noise by design (Gmail fetches only the Primary tab and
    # your threads) sweeps only what counts, and the noise it stored keeps telling machine
    # senders from people.
    keep_noise: bool = False


@dataclass(slots=True)
class Batch:
    """What a connector yields: records plus the cursor that is valid once they are stored."""

    interactions: list[Interaction] = field(default_factory=list)
    cards: list[ContactCard] = field(default_factory=list)
    removed_keys: list[str] = field(default_factory=list)  # interactions or cards gone
    skipped: list[Skip] = field(default_factory=list)
    cursor: str | None = None
    seen: int = 0
    me_aliases: tuple[str, ...] = ()
    round: str | None = None
    sweep: Sweep | None = None
    notes: dict[str, int] = field(default_factory=dict)  # fallbacks taken, not skips
