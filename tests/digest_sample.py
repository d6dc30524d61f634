"""A realistic digest Report built from PersonEntry objects (no store needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.digest import Digest, DigestItem
from models.report import LastContact, PersonEntry, Report
from models.staleness import overdue_ratio, status_for

AS_OF = date(2026, 11, 25)


def person(
    name: str,
    *,
    days_since: int | None,
    cadence: int,
    email: str | None = None,
    channel: str = "email",
    direction: str = "outbound",
    next_in_days: float | None = None,
    birthday: str | None = None,
    months: list[int] | None = None,
    tier: str | None = None,
    reason: str | None = None,
) -> PersonEntry:
    noon = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=UTC)
    last = None
    if days_since is not None:
        last = LastContact(
            at=noon - timedelta(days=days_since),
            channel=channel,
            direction=direction,  # type: ignore[arg-type]
            source="gmail",
            account="personal",
        )
    nxt = noon + timedelta(days=next_in_days) if next_in_days is not None else None
    first = name.split()[0]
    if reason is None:
        if last is None:
            reason = f"No contact with {first} on record; the default is every {cadence} days."
        else:
            rule = (
                f"you want to talk every {cadence} days ({tier})"
                if tier
                else f"you usually talk every {cadence} days"
            )
            reason = (
                f"You last emailed {first} on {last.at.day} {last.at:%b} ({days_since} days); "
                f"{rule}."
            )
    fields: dict[str, Any] = {
        "id": name.lower().replace(" ", "-"),
        "name": name,
        "emails": [email] if email else [],
        "phones": [],
        "tier": tier,
        "cadence_days": cadence,
        "cadence_source": "tier" if tier else "inferred",
        "last_contact": last,
        "last_inbound_at": None,
        "last_outbound_at": last.at if last else None,
        "next_planned_at": nxt,
        "days_since": days_since,
        "overdue_ratio": overdue_ratio(days_since, cadence),
        "status": status_for(days_since, cadence, 365),
        "interactions_365d": sum(months or []),
        "reason": reason,
        "contact_days_by_month": months if months is not None else [0] * 12,
        "birthday": birthday,
    }
    return PersonEntry(**fields)


def sample_report(extra: int = 0) -> Report:
    """Seven people around one digest: a reply owed (a name that needs escaping), a close
    friend drifting, a new acquaintance, a birthday, an old friend to reconnect with, and two
    who are not in it (a meeting in three days; never contacted). `extra` adds drifting
    people to the digest, beyond any budget, to test splitting."""
    ada = person(
        "Ada Lovelace",
        days_since=116,
        cadence=30,
        email="ada@example.com",
        tier="close",
        months=[3, 4, 2, 5, 3, 1, 2, 0, 0, 0, 0, 0],
        birthday="1815-12-02",
    )
    people = [
        ada,
        person(
            "Grace Hopper",
            days_since=75,
            cadence=21,
            email="grace@navy.example",
            next_in_days=3.1,
            months=[1, 2, 2, 1, 3, 2, 2, 1, 1, 0, 0, 0],
        ),
        person(
            "Alan <Turing> & Co",
            days_since=6,
            cadence=30,
            email="alan@example.org",
            direction="inbound",
            months=[0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
        ),
        person("Katherine Johnson", days_since=None, cadence=180, email="kj@nasa.example"),
        person(
            "Linus Torvalds",
            days_since=4,
            cadence=14,
            email="linus@example.net",
            months=[2, 3, 4, 2, 3, 5, 4, 3, 2, 4, 3, 1],
            birthday="--11-26",
        ),
        person("Yusuf Demir", days_since=16, cadence=180, email="yusuf@demir.example"),
        person("Carla Mendes", days_since=1400, cadence=21, email="carla@mendes.example"),
    ]
    for i in range(extra):
        people.append(
            person(
                f"Person {i:03d} Example",
                days_since=200 + i,
                cadence=30,
                email=f"p{i}@example.com",
                months=[i % 5] * 12,
            )
        )
    people.sort(
        key=lambda p: (
            {"cold": 0, "cooling": 0, "never": 1, "warm": 2, "dormant": 3}[p.status],
            -(p.overdue_ratio or 0),
            p.name,
        )
    )
    by_name = {p.name: p for p in people}
    reasons = [
        (
            "Alan <Turing> & Co",
            "reply",
            "Alan wrote to you on 19 Nov (6 days ago) and you have not answered.",
        ),
        (
            "Ada Lovelace",
            "drifting",
            "Ada is in your close circle (every month); you last wrote on 1 Aug, 4 months ago.",
        ),
        (
            "Yusuf Demir",
            "new",
            "You met Yusuf for the first time on 9 Nov — follow up while it's fresh.",
        ),
        ("Linus Torvalds", "birthday", "It's Linus's birthday tomorrow."),
        (
            "Carla Mendes",
            "reconnect",
            "You and Carla were in touch on 31 days between Feb 2021 and Jan 2022; "
            "the last time was 16 Jan 2023, 4 years ago. Say hello?",
        ),
    ]
    reasons += [
        (
            f"Person {i:03d} Example",
            "drifting",
            f"You and Person used to write every month; it has been {200 + i} days.",
        )
        for i in range(extra)
    ]
    items = [
        DigestItem(
            id=by_name[name].id,
            name=name,
            emails=by_name[name].emails,
            kind=kind,  # type: ignore[arg-type]
            reason=reason,
            score=0.5,
        )
        for name, kind, reason in reasons
    ]
    order = ["reply", "drifting", "fading", "new", "birthday", "reconnect"]
    items.sort(key=lambda item: order.index(item.kind))
    return Report(
        as_of=AS_OF,
        generated_at=datetime(2026, 11, 25, 6, tzinfo=UTC),
        digest=Digest(as_of=AS_OF, budget=max(7, len(items)), items=items),
        people=people,
    )
