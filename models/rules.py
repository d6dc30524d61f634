"""DESIGN.md's "What counts as contact", written once, as SQL over the stored facts.

Connectors store what happened (who, when, which channel, flags); whether it counts is
decided here at read time, so changing a threshold in config needs no re-sync.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, not_, or_

from models.config import RulesConfig
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
    )
    inbound_email = and_(
        I.channel == "email",
        I.direction == "inbound",
        P.role == "from",
        I.bulk == false(),
        I.automated == false(),
    )
    return or_(outbound_email, inbound_email, meeting_attended(rules))


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


def makes_person_in_report() -> ColumnElement[bool]:
    """Outbound or meeting contact: a correspondent who only wrote to you is not a person."""
    return not_(I.direction == "inbound")
