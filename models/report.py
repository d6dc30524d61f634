"""The staleness report: who is drifting away, most overdue first (DESIGN.md "Report JSON").

Reads the store with a handful of aggregate queries (never a row per message in Python)
and applies the decisions of models.staleness.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_serializer
from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from models.config import Config
from models.rules import counts_as_contact, happened_by, meeting_attended
from models.schema import CardRow, IdentityRow, PersonRow
from models.schema import InteractionRow as I
from models.schema import ParticipantRow as P
from models.staleness import (
    CadenceSource,
    Status,
    choose_cadence,
    overdue_ratio,
    reason_text,
    sort_key,
    status_for,
    tier_for,
)
from models.store import Store, from_db, utc_naive


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LastContact(BaseModel):
    at: datetime
    channel: str
    direction: Literal["outbound", "inbound", "mutual"]
    source: str
    account: str

    @field_serializer("at")
    def _at(self, value: datetime) -> str | None:
        return _iso(value)


class PersonEntry(BaseModel):
    id: str
    name: str
    emails: list[str]
    phones: list[str]
    tier: str | None
    cadence_days: int
    cadence_source: CadenceSource
    last_contact: LastContact | None
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    next_planned_at: datetime | None
    days_since: int | None
    overdue_ratio: float | None
    status: Status
    interactions_365d: int
    reason: str
    # For the HTML/Slack digests only; not part of the JSON contract.
    contact_days_by_month: list[int] = Field(default_factory=list, exclude=True)
    birthday: str | None = Field(default=None, exclude=True)

    @field_serializer("last_inbound_at", "last_outbound_at", "next_planned_at")
    def _times(self, value: datetime | None) -> str | None:
        return _iso(value)


class Report(BaseModel):
    as_of: date
    generated_at: datetime
    people: list[PersonEntry]

    @field_serializer("generated_at")
    def _generated(self, value: datetime) -> str | None:
        return _iso(value)


def cutoff_for(
    as_of: date | None, timezone: str, now: datetime | None = None
) -> tuple[date, datetime]:
    """`as_of` counts contact up to the end of that day in the report's time zone;
    today means up to now, so a meeting later today is still planned, not past."""
    zone = ZoneInfo(timezone)
    now = now or datetime.now(UTC)
    today = now.astimezone(zone).date()
    day = as_of or today
    if day >= today:
        return day, now if day == today else datetime.combine(day, time.max, zone).astimezone(UTC)
    return day, datetime.combine(day, time.max, zone).astimezone(UTC)


def _counting(cutoff: datetime, config: Config) -> Select[str, datetime, str, str, str, str, int]:
    return (
        select(
            IdentityRow.person_id,
            I.occurred_at,
            I.channel,
            I.direction,
            I.source,
            I.account,
            I.id,
        )
        .select_from(P)
        .join(I, I.id == P.interaction_id)
        .join(IdentityRow, and_(IdentityRow.kind == P.kind, IdentityRow.value == P.value))
        .where(counts_as_contact(config.rules), happened_by(utc_naive(cutoff)))
    )


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def build_report(
    store: Store,
    config: Config,
    as_of: date | None = None,
    *,
    now: datetime | None = None,
    limit: int | None = None,
) -> Report:
    day, cutoff = cutoff_for(as_of, config.report.timezone, now)
    with store.session() as session:
        people = _collect(session, config, day, cutoff)
    people.sort(key=lambda p: sort_key(p.status, p.overdue_ratio, p.name))
    if limit is not None:
        people = people[:limit]
    return Report(as_of=day, generated_at=now or datetime.now(UTC), people=people)


def _collect(session: Session, config: Config, day: date, cutoff: datetime) -> list[PersonEntry]:
    counting = _counting(cutoff, config).subquery()
    c = counting.c
    year_ago = utc_naive(cutoff - timedelta(days=365))

    aggregates = {
        row.person_id: row
        for row in session.execute(
            select(
                c.person_id,
                func.max(case((c.direction == "inbound", c.occurred_at))).label("last_in"),
                func.max(case((c.direction == "outbound", c.occurred_at))).label("last_out"),
                func.max(case((c.direction != "inbound", c.occurred_at))).label("last_made"),
                func.count(func.distinct(case((c.occurred_at > year_ago, c.id)))).label("n365"),
            ).group_by(c.person_id)
        )
    }
    ranked = select(
        c.person_id,
        c.occurred_at,
        c.channel,
        c.direction,
        c.source,
        c.account,
        func.row_number()
        .over(partition_by=c.person_id, order_by=(c.occurred_at.desc(), c.id.desc()))
        .label("rn"),
    ).subquery()
    last = {row.person_id: row for row in session.execute(select(ranked).where(ranked.c.rn == 1))}
    days: dict[str, list[date]] = defaultdict(list)
    day_expr = func.date(c.occurred_at)
    for person_id, contact_day in session.execute(
        select(c.person_id, day_expr).group_by(c.person_id, day_expr)
    ):
        days[person_id].append(_as_date(contact_day))
    planned = {
        person_id: at
        for person_id, at in session.execute(
            select(IdentityRow.person_id, func.min(I.occurred_at))
            .select_from(P)
            .join(I, I.id == P.interaction_id)
            .join(IdentityRow, and_(IdentityRow.kind == P.kind, IdentityRow.value == P.value))
            .where(meeting_attended(config.rules), I.occurred_at > utc_naive(cutoff))
            .group_by(IdentityRow.person_id)
        )
    }
    identities: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for person_id, kind, value in session.execute(
        select(IdentityRow.person_id, IdentityRow.kind, IdentityRow.value).order_by(IdentityRow.id)
    ):
        identities[person_id][0 if kind == "email" else 1].append(value)
    cards: dict[str, list[CardRow]] = defaultdict(list)
    for card in session.scalars(select(CardRow).where(CardRow.person_id.is_not(None))):
        cards[card.person_id or ""].append(card)

    entries: list[PersonEntry] = []
    for person in session.scalars(select(PersonRow)):
        person_cards = [card for card in cards.get(person.id, []) if not card.is_org]
        agg = aggregates.get(person.id)
        made_contact = agg is not None and agg.last_made is not None
        if not person_cards and not made_contact:
            continue
        categories = [cat for card in person_cards for cat in card.categories or []]
        tier = tier_for(categories, person.tier_override, config.cadence.tiers)
        contact_days = days.get(person.id, [])
        cadence = choose_cadence(
            override=person.cadence_override,
            tier=tier,
            tiers=config.cadence.tiers,
            contact_days=contact_days,
            default_days=config.cadence.default_days,
        )
        latest = last.get(person.id)
        last_contact = None
        days_since = None
        if latest is not None:
            at = from_db(latest.occurred_at)
            last_contact = LastContact(
                at=at,
                channel=latest.channel,
                direction=latest.direction,
                source=latest.source,
                account=latest.account,
            )
            days_since = max(0, (day - at.astimezone(ZoneInfo(config.report.timezone)).date()).days)
        next_planned = planned.get(person.id)
        next_planned_at = from_db(next_planned) if next_planned else None
        emails, phones = identities.get(person.id, ([], []))
        entries.append(
            PersonEntry(
                id=person.id,
                name=person.display_name,
                emails=list(emails),
                phones=list(phones),
                tier=cadence.tier,
                cadence_days=cadence.days,
                cadence_source=cadence.source,
                last_contact=last_contact,
                last_inbound_at=from_db(agg.last_in) if agg and agg.last_in else None,
                last_outbound_at=from_db(agg.last_out) if agg and agg.last_out else None,
                next_planned_at=next_planned_at,
                days_since=days_since,
                overdue_ratio=overdue_ratio(days_since, cadence.days),
                status=status_for(days_since, cadence.days),
                interactions_365d=int(agg.n365) if agg else 0,
                reason=reason_text(
                    name=person.display_name,
                    cadence=cadence,
                    last_at=last_contact.at if last_contact else None,
                    last_channel=last_contact.channel if last_contact else None,
                    last_direction=last_contact.direction if last_contact else None,
                    days_since=days_since,
                    next_planned_at=next_planned_at,
                    as_of=day,
                ),
                contact_days_by_month=_by_month(contact_days, day),
                birthday=next((card.birthday for card in person_cards if card.birthday), None),
            )
        )
    return entries


def _by_month(contact_days: list[date], as_of: date) -> list[int]:
    """Contact days in each of the twelve months ending with as_of's month, oldest first."""
    counts = [0] * 12
    for contact_day in contact_days:
        months_back = (as_of.year - contact_day.year) * 12 + as_of.month - contact_day.month
        if 0 <= months_back < 12:
            counts[11 - months_back] += 1
    return counts


__all__ = ["LastContact", "PersonEntry", "Report", "build_report", "cutoff_for"]
