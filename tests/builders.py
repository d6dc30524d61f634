"""Small builders for records and configs used across tests (data, not behaviour)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.config import Config, config_from_dict
from models.records import ContactCard, Interaction, Participant

ME = "me@example.com"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sent(key: str, when: str, *to: str, account: str = "mail", **flags: Any) -> Interaction:
    return Interaction(
        key=f"mbox:{account}:{key}",
        source="mbox",
        account=account,
        occurred_at=at(when),
        channel="email",
        direction="outbound",
        participants=tuple(Participant("email", t, "to") for t in to),
        group_size=len(to),
        **flags,
    )


def received(key: str, when: str, sender: str, account: str = "mail", **flags: Any) -> Interaction:
    return Interaction(
        key=f"mbox:{account}:{key}",
        source="mbox",
        account=account,
        occurred_at=at(when),
        channel="email",
        direction="inbound",
        participants=(Participant("email", sender, "from"),),
        group_size=1,
        **flags,
    )


def meeting(
    key: str, when: str, *attendees: str, account: str = "cal", **flags: Any
) -> Interaction:
    declined = set(flags.pop("declined_by", ()))
    return Interaction(
        key=f"ics:{account}:{key}",
        source="ics",
        account=account,
        occurred_at=at(when),
        channel="meeting",
        direction="mutual",
        participants=tuple(
            Participant("email", a, "attendee", None, a in declined) for a in attendees
        ),
        group_size=len(attendees),
        **flags,
    )


def card(
    key: str, name: str, *emails: str, categories: tuple[str, ...] = (), **kw: Any
) -> ContactCard:
    return ContactCard(
        key=f"vcard:book:{key}",
        source="vcard",
        account="book",
        name=name,
        emails=emails,
        categories=categories,
        **kw,
    )


def config(store_url: str, **extra: Any) -> Config:
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "me": {"emails": [ME]},
        "cadence": {"tiers": {"inner": 14, "close": 30, "friends": 90}, "default_days": 180},
    }
    data.update(extra)
    return config_from_dict(data)
