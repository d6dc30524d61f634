"""The query-based report as it was before the derived contact table, kept as a test oracle.

It joins participant ⨝ interaction ⨝ identity and applies models.rules at read time, so it
is slow but obviously right; tests compare models.report.build_report with it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from models.config import Config
from models.digest import Digest
from models.report import LastContact, PersonEntry, Report, _by_month, cutoff_for
from models.rules import counts_as_contact, happened_by, meeting_attended
from models.schema import CardRow, IdentityRow, PersonRow
from models.schema import InteractionRow as I
from models.schema import ParticipantRow as P
from models.staleness import (
    choose_cadence,
    overdue_ratio,
    reason_text,
    sort_key,
    status_for,
    tier_for,
)
from models.store import Store
from models.times import from_db, utc_naive


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


def oracle_report(
    store: Store, config: Config, as_of: date | None = None, *, now: datetime | None = None
) -> Report:
    day, cutoff = cutoff_for(as_of, config.report.timezone, now)
    with store.session() as session:
        people = _collect(session, config, day, cutoff)
    people.sort(key=lambda p: sort_key(p.status, p.overdue_ratio, p.name))
    empty = Digest(as_of=day, budget=config.digest.budget, items=[])  # people only
    return Report(as_of=day, generated_at=now or datetime.now(UTC), digest=empty, people=people)


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
                status=status_for(days_since, cadence.days, config.digest.dormant_after_days),
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
                strength=len({d for d in contact_days if (day - d).days < 730}),
                snoozed_until=person.snoozed_until,
                ignored=person.ignored,
                contact_days_by_month=_by_month(contact_days, day),
                birthday=next((card.birthday for card in person_cards if card.birthday), None),
            )
        )
    return entries
