"""The staleness report: who is drifting away, most overdue first (DESIGN.md "Report JSON").

Reads the derived `contact` table (models.rules keeps it in step with the stored facts and
the configured thresholds) with a few aggregate queries that return one row per person,
never a row per message or per day, and applies the decisions of models.staleness.
"""

from __future__ import annotations

import bisect
import gc
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_serializer
from sqlalchemy import ScalarSelect, Select, Text, cast, distinct, func, select, true
from sqlalchemy.orm import Session, aliased

from models.config import Config
from models.digest import Digest, Facts, History, build_digest
from models.rules import ensure_contacts
from models.schema import CardRow, DigestItemRow, IdentityRow, PersonRow
from models.schema import ContactRow as C
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
from models.store import Store
from models.times import from_db, utc_naive


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
    strength: int = 0
    snoozed_until: date | None = None
    ignored: bool = False
    # For the HTML/Slack digests only; not part of the JSON contract.
    contact_days_by_month: list[int] = Field(default_factory=list, exclude=True)
    birthday: str | None = Field(default=None, exclude=True)

    @field_serializer("last_inbound_at", "last_outbound_at", "next_planned_at")
    def _times(self, value: datetime | None) -> str | None:
        return _iso(value)


class Report(BaseModel):
    as_of: date
    generated_at: datetime
    digest: Digest
    people: list[PersonEntry]
    # The table rows of the people the digest names (the table may be cut by --limit); for
    # the renderers' cards, not part of the JSON contract.
    digest_people: dict[str, PersonEntry] = Field(default_factory=dict, exclude=True)
    # People per status before --limit cut the table, so a cut table still says how many
    # there are; not part of the JSON contract.
    status_counts: dict[str, int] = Field(default_factory=dict, exclude=True)

    def entry(self, person_id: str) -> PersonEntry | None:
        found = self.digest_people.get(person_id)
        return found or next((p for p in self.people if p.id == person_id), None)

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


def build_report(
    store: Store,
    config: Config,
    as_of: date | None = None,
    *,
    now: datetime | None = None,
    limit: int | None = None,
) -> Report:
    day, cutoff = cutoff_for(as_of, config.report.timezone, now)
    store.ensure_contacts(config.rules)  # a rebuild, if any, in a write transaction of its own
    with _cyclic_gc_paused():
        with store.session() as session:
            people, facts = _collect(session, config, day, cutoff)
            history = delivered_history(session, day, config.digest.repeat_after_days)
        digest = build_digest(facts, as_of=day, settings=config.digest, history=history)
        del facts
        people.sort(key=lambda p: sort_key(p.status, p.overdue_ratio, p.name))
    named = {item.id for item in digest.items}
    digest_people = {p.id: p for p in people if p.id in named}
    status_counts = Counter[str](p.status for p in people)
    if limit is not None:
        people = people[:limit]
    return Report(
        as_of=day,
        generated_at=now or datetime.now(UTC),
        digest=digest,
        people=people,
        digest_people=digest_people,
        status_counts=dict(status_counts),
    )


def delivered_history(session: Session, as_of: date, repeat_after_days: int) -> History:
    """Deliveries before `as_of` that the digest's rules read: the repeat window, and every
    `reconnect` (the rotation goes to whoever was suggested longest ago)."""
    since = as_of - timedelta(days=repeat_after_days)
    rows = session.execute(
        select(DigestItemRow.person_id, DigestItemRow.report_date, DigestItemRow.kind).where(
            DigestItemRow.report_date < as_of,
            (DigestItemRow.report_date >= since) | (DigestItemRow.kind == "reconnect"),
        )
    )
    return History((person_id, day, kind) for person_id, day, kind in rows)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The report allocates ~25 objects per contact day and person, none of them cyclic;
    Python's cycle collector would walk that growing heap again and again (about a fifth of
    the report's time at 20,000 people). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _contact_days(session: Session, cut: datetime) -> dict[str, str]:
    """Each person's distinct contact days (UTC, ISO text, comma-joined): a row per person,
    not per day, and parsed only as far as each person needs."""
    if session.get_bind().dialect.name == "postgresql":
        joined = func.string_agg(distinct(cast(C.day, Text)), ",")
    else:
        joined = func.group_concat(distinct(C.day))
    query = (
        select(C.person_id, joined)
        .where(C.person_id.is_not(None), C.occurred_at <= cut)
        .group_by(C.person_id)
    )
    return {person_id: days or "" for person_id, days in session.execute(query)}


def _person_facts(cut: datetime, year_ago: datetime, answer_due: datetime) -> Select[Any]:
    """Per person: newest inbound/outbound/mutual contact, distinct interactions in the last
    year, the newest personal mail old enough to expect an answer (up to `answer_due`), and
    the first outbound/mutual contact, each one short index range (no table scan)."""

    def newest(direction: str) -> ScalarSelect[Any]:
        return (
            select(func.max(C.occurred_at))
            .where(C.person_id == PersonRow.id, C.direction == direction, C.occurred_at <= cut)
            .correlate(PersonRow)
            .scalar_subquery()
        )

    def first(direction: str) -> ScalarSelect[Any]:
        return (
            select(func.min(C.occurred_at))
            .where(C.person_id == PersonRow.id, C.direction == direction, C.occurred_at <= cut)
            .correlate(PersonRow)
            .scalar_subquery()
        )

    recent = (
        select(func.count(distinct(C.interaction_id)))
        .where(C.person_id == PersonRow.id, C.occurred_at > year_ago, C.occurred_at <= cut)
        .correlate(PersonRow)
        .scalar_subquery()
    )
    personal = (
        select(func.max(C.occurred_at))
        .where(C.person_id == PersonRow.id, C.personal == true(), C.occurred_at <= answer_due)
        .correlate(PersonRow)
        .scalar_subquery()
    )
    return select(
        PersonRow.id,
        PersonRow.display_name,
        PersonRow.cadence_override,
        PersonRow.tier_override,
        newest("inbound").label("last_in"),
        newest("outbound").label("last_out"),
        newest("mutual").label("last_mutual"),
        recent.label("n365"),
        personal.label("last_personal"),
        first("outbound").label("first_out"),
        first("mutual").label("first_mutual"),
        PersonRow.snoozed_until,
        PersonRow.ignored,
    )


def _newest_rows(cut: datetime, dialect: str) -> Select[str | None, datetime, str, str, str, str]:
    """Details of each person's newest counting contact (ties: the newest interaction):
    one backward index probe per person (PostgreSQL: a LATERAL join; SQLite has none)."""
    newer = aliased(C)
    newest = (
        select(newer.id)
        .where(newer.person_id == PersonRow.id, newer.occurred_at <= cut)
        .order_by(newer.occurred_at.desc(), newer.interaction_id.desc())
        .limit(1)
        .correlate(PersonRow)
    )
    if dialect == "postgresql":
        found = newest.lateral()
        return (
            select(C.person_id, C.occurred_at, C.channel, C.direction, C.source, C.account)
            .select_from(PersonRow)
            .join(found, true())
            .join(C, C.id == found.c.id)
        )
    return select(C.person_id, C.occurred_at, C.channel, C.direction, C.source, C.account).where(
        C.id.in_(select(newest.scalar_subquery()).select_from(PersonRow))
    )


def _collect(
    session: Session, config: Config, day: date, cutoff: datetime
) -> tuple[list[PersonEntry], list[Facts]]:
    ensure_contacts(session, config.rules)
    cut = utc_naive(cutoff)
    zone = ZoneInfo(config.report.timezone)
    # A reply is owed for mail at least `reply_after_days` old (by the local day), even when
    # the same person wrote again this morning: the newest mail up to the end of that day.
    due_day = day - timedelta(days=config.digest.reply_after_days)
    answer_due = min(cutoff, datetime.combine(due_day, time.max, zone).astimezone(UTC))
    year_ago = utc_naive(cutoff - timedelta(days=365))
    rows = session.execute(_person_facts(cut, year_ago, utc_naive(answer_due))).all()
    dialect = session.get_bind().dialect.name
    # direction is validated by LastContact (a Literal there, a plain string in the table)
    last: dict[str | None, tuple[datetime, str, Any, str, str]] = {
        pid: (at, channel, direction, source, account)
        for pid, at, channel, direction, source, account in session.execute(
            _newest_rows(cut, dialect)
        )
    }
    days = _contact_days(session, cut)
    # Meetings after the cutoff: a short range of the time index. (A GROUP BY here makes
    # SQLite walk a person index over every row instead.)
    planned: dict[str, datetime] = {}
    for person_id, at in session.execute(
        select(C.person_id, C.occurred_at).where(C.channel == "meeting", C.occurred_at > cut)
    ):
        if person_id is not None and (person_id not in planned or at < planned[person_id]):
            planned[person_id] = at
    identities: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for person_id, kind, value in session.execute(
        select(IdentityRow.person_id, IdentityRow.kind, IdentityRow.value).order_by(IdentityRow.id)
    ):
        identities[person_id][0 if kind == "email" else 1].append(value)
    cards: dict[str, list[tuple[tuple[str, ...], str | None]]] = defaultdict(list)
    for owner, labels, birthday in session.execute(
        select(CardRow.person_id, CardRow.categories, CardRow.birthday).where(
            CardRow.person_id.is_not(None), CardRow.is_org.is_(False)
        )
    ):
        cards[owner or ""].append((tuple(labels or ()), birthday))

    chart_start = _months_back_start(day, 11).isoformat()
    two_years_ago = (day - timedelta(days=STRENGTH_WINDOW_DAYS)).isoformat()
    tiers: dict[tuple[tuple[str, ...], str | None], str | None] = {}
    entries: list[PersonEntry] = []
    digest_facts: list[Facts] = []
    for row in rows:
        pid, name, override, tier_override = row[0], row[1], row[2], row[3]
        last_in, last_out, last_mutual, n365 = row[4], row[5], row[6], row[7]
        last_personal, first_out, first_mutual, snoozed_until, ignored = row[8:13]
        person_cards = cards.get(pid, [])
        if not person_cards and last_out is None and last_mutual is None:
            continue  # no card and no outbound or meeting contact: not a person to report
        categories = tuple(cat for card_categories, _ in person_cards for cat in card_categories)
        tier_key = (categories, tier_override)
        if tier_key not in tiers:
            tiers[tier_key] = tier_for(categories, tier_override, config.cadence.tiers)
        tier = tiers[tier_key]
        # ISO day texts sort and compare like dates; parse only what is used as dates.
        day_texts = sorted(text for text in days.get(pid, "").split(",") if text)
        infer = not override and tier is None
        contact_days = [
            date.fromisoformat(text) for text in day_texts if infer or text >= chart_start
        ]
        cadence = choose_cadence(
            override=override,
            tier=tier,
            tiers=config.cadence.tiers,
            contact_days=contact_days,
            default_days=config.cadence.default_days,
        )
        latest = last.get(pid)
        last_contact = None
        days_since = None
        if latest is not None:
            at = from_db(latest[0])
            last_contact = LastContact(
                at=at,
                channel=latest[1],
                direction=latest[2],
                source=latest[3],
                account=latest[4],
            )
            days_since = max(0, (day - at.astimezone(zone).date()).days)
        next_planned = planned.get(pid)
        next_planned_at = from_db(next_planned) if next_planned else None
        emails, phones = identities.get(pid, ([], []))
        status = status_for(days_since, cadence.days, config.digest.dormant_after_days)
        strength = len(day_texts) - bisect.bisect_right(day_texts, two_years_ago)
        birthday = next((birthday for _, birthday in person_cards if birthday), None)
        entries.append(
            PersonEntry(
                id=pid,
                name=name,
                emails=list(emails),
                phones=list(phones),
                tier=cadence.tier,
                cadence_days=cadence.days,
                cadence_source=cadence.source,
                last_contact=last_contact,
                last_inbound_at=from_db(last_in) if last_in else None,
                last_outbound_at=from_db(last_out) if last_out else None,
                next_planned_at=next_planned_at,
                days_since=days_since,
                overdue_ratio=overdue_ratio(days_since, cadence.days),
                status=status,
                interactions_365d=int(n365 or 0),
                reason=reason_text(
                    name=name,
                    cadence=cadence,
                    last_at=last_contact.at if last_contact else None,
                    last_channel=last_contact.channel if last_contact else None,
                    last_direction=last_contact.direction if last_contact else None,
                    days_since=days_since,
                    next_planned_at=next_planned_at,
                    as_of=day,
                ),
                strength=strength,
                snoozed_until=snoozed_until,
                ignored=bool(ignored),
                contact_days_by_month=_by_month(contact_days, day),
                birthday=birthday,
            )
        )
        first_at = min((t for t in (first_out, first_mutual) if t is not None), default=None)
        replied = max((t for t in (last_out, last_mutual) if t is not None), default=None)
        digest_facts.append(
            Facts(
                id=pid,
                name=name,
                emails=tuple(emails),
                status=status,
                cadence_days=cadence.days,
                cadence_source=cadence.source,
                tier=cadence.tier,
                strength=strength,
                last_contact_day=None if days_since is None else day - timedelta(days_since),
                last_channel=latest[1] if latest is not None else None,
                last_personal_in_at=last_personal,
                last_reply_at=replied,
                first_contact_at=first_at,
                first_channel="meeting"
                if first_at is not None and first_at == first_mutual
                else "email",
                contact_days=day_texts,
                next_planned_at=next_planned,
                snoozed_until=snoozed_until,
                ignored=bool(ignored),
                birthday=birthday,
                zone=zone,
            )
        )
    return entries, digest_facts


STRENGTH_WINDOW_DAYS = 730  # strength: contact days in the last two years


def _months_back_start(as_of: date, months: int) -> date:
    """The first day of the month `months` before as_of's month."""
    index = as_of.year * 12 + as_of.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _by_month(contact_days: list[date], as_of: date) -> list[int]:
    """Contact days in each of the twelve months ending with as_of's month, oldest first."""
    counts = [0] * 12
    this_month = as_of.year * 12 + as_of.month
    for contact_day in contact_days:
        months_back = this_month - contact_day.year * 12 - contact_day.month
        if 0 <= months_back < 12:
            counts[11 - months_back] += 1
    return counts


__all__ = ["LastContact", "PersonEntry", "Report", "build_report", "cutoff_for"]
