"""The morning digest: the few people worth acting on today, each with a reason.

The report ranks everyone; on a ten-year history most of them are long-lost one-offs, and a
sort by overdue ratio puts 2017 on top. The digest is judgment (DESIGN.md "The morning
digest"), as pure functions over the report's per-person facts:

- `reply`     they wrote to you personally 2–30 days ago and you have not answered;
- `drifting`  an established tie past its cadence, ranked by strength × how overdue;
- `new`       your first contact was 3–30 days ago and little has followed: keep growing;
- `birthday`  a birthday in the next few days, for someone you are in touch with;
- `reconnect` one strong tie that went dormant, rotating through them day by day.

Never: snoozed or ignored people, anyone with a meeting in the next 14 days (except `reply`),
one-offs gone quiet, the `warm` (except reply, new and birthday). Someone delivered within
`repeat_after_days` is not repeated (except `reply`); the deliveries are read from the store,
only those before `as_of`, so a digest for a past day is reproducible.

Filling the budget: replies first (a person waiting on you), then drifting ties, but one seat
each is kept for `new` and `reconnect` when there is a candidate, so a busy week of drifting
friends never stops the network from growing or a lost friend from coming back to mind.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from models.config import DigestConfig
from models.names import first_name
from models.phrases import day_text, elapsed_text, rhythm_text

Kind = Literal["reply", "drifting", "new", "reconnect", "birthday"]
KIND_ORDER: tuple[Kind, ...] = ("reply", "drifting", "new", "birthday", "reconnect")


class DigestItem(BaseModel):
    id: str
    name: str
    emails: list[str]
    kind: Kind
    reason: str
    score: float


class Digest(BaseModel):
    as_of: date
    budget: int
    items: list[DigestItem]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the digest needs to know about one person (built by models.report)."""

    id: str
    name: str
    emails: tuple[str, ...]
    status: str
    cadence_days: int
    cadence_source: str  # tier | override | inferred | default
    tier: str | None
    strength: int  # contact days in the last two years
    last_contact_day: date | None  # days are in the report's time zone
    last_channel: str | None
    last_personal_in_at: datetime | None  # newest mail to you personally (reply-worthy)
    last_personal_in_day: date | None
    last_reply_at: datetime | None  # newest outbound or meeting contact (you answered)
    first_contact_day: date | None  # first outbound email or meeting
    first_channel: str | None
    days_after_first: int  # distinct contact days after the first contact day
    peak_year_days: int  # most contact days within any 365 days
    peak_year_end: date | None  # last contact day of that window
    next_planned_day: date | None
    snoozed_until: date | None
    ignored: bool
    birthday: str | None  # vCard BDAY as stored: YYYY-MM-DD or --MM-DD


@dataclass(frozen=True, slots=True)
class History:
    """Who earlier digests named: every delivery day before `as_of`, per person."""

    delivered: Mapping[str, Sequence[tuple[date, str]]]  # person id -> [(day, kind)]

    def last(self, person_id: str, before: date, kind: str | None = None) -> date | None:
        days = [
            day
            for day, was in self.delivered.get(person_id, ())
            if day < before and (kind is None or was == kind)
        ]
        return max(days) if days else None


def build_digest(
    people: Sequence[Facts],
    *,
    as_of: date,
    settings: DigestConfig,
    history: History,
) -> Digest:
    """Choose at most `settings.budget` items for the day `as_of`."""
    quiet_since = as_of - timedelta(days=settings.repeat_after_days)

    def recently_delivered(person: Facts) -> bool:
        last = history.last(person.id, as_of)
        return last is not None and last > quiet_since

    def planned_soon(person: Facts) -> bool:
        planned = person.next_planned_day
        return planned is not None and (planned - as_of).days <= settings.planned_within_days

    def excluded(person: Facts) -> bool:
        snoozed = person.snoozed_until is not None and person.snoozed_until > as_of
        return person.ignored or snoozed

    replies: list[DigestItem] = []
    drifting: list[DigestItem] = []
    new: list[DigestItem] = []
    birthdays: list[DigestItem] = []
    reconnect: list[tuple[date, float, DigestItem]] = []
    for person in people:
        if excluded(person):
            continue
        reply = _reply(person, as_of, settings)
        if reply is not None:
            replies.append(reply)
            continue
        if recently_delivered(person):
            continue
        if planned_soon(person):
            continue
        item = (
            _drifting(person, as_of, settings)
            or _new(person, as_of, settings)
            or _birthday(person, as_of, settings)
        )
        if item is not None:
            {"drifting": drifting, "new": new, "birthday": birthdays}[item.kind].append(item)
            continue
        again = _reconnect(person, as_of, settings)
        if again is not None:
            last_time = history.last(person.id, as_of, "reconnect") or date.min
            reconnect.append((last_time, -again.score, again))
    for items in (replies, drifting, new, birthdays):
        items.sort(key=lambda item: (-item.score, item.name.lower(), item.id))
    reconnect.sort(key=lambda entry: (entry[0], entry[1], entry[2].name.lower()))
    rotating = [entry[2] for entry in reconnect[:1]]
    return Digest(
        as_of=as_of,
        budget=settings.budget,
        items=_fill(settings.budget, replies, drifting, new, birthdays, rotating),
    )


def _fill(
    budget: int,
    replies: list[DigestItem],
    drifting: list[DigestItem],
    new: list[DigestItem],
    birthdays: list[DigestItem],
    reconnect: list[DigestItem],
) -> list[DigestItem]:
    """Replies first; then drifting, leaving one seat each for new, birthday and reconnect
    when they have a candidate; then the rest of those kinds in order."""
    chosen = replies[:budget]
    extras = [kind[:1] for kind in (new, birthdays, reconnect) if kind]
    reserved = min(len(extras), budget - len(chosen))
    chosen += drifting[: max(0, budget - len(chosen) - reserved)]
    for kind in (new, birthdays, reconnect):
        chosen += kind[: max(0, budget - len(chosen))]
    return chosen[:budget]


def _item(person: Facts, kind: Kind, reason: str, score: float) -> DigestItem:
    return DigestItem(
        id=person.id,
        name=person.name,
        emails=list(person.emails),
        kind=kind,
        reason=reason,
        score=round(max(0.0, min(1.0, score)), 3),
    )


def _closeness(strength: int) -> float:
    """0..1: how much real contact there was (contact days in two years), diminishing."""
    return 1 - math.exp(-strength / 24)


def _reply(person: Facts, as_of: date, settings: DigestConfig) -> DigestItem | None:
    wrote_day = person.last_personal_in_day
    if person.last_personal_in_at is None or wrote_day is None:
        return None
    waiting = (as_of - wrote_day).days
    if not settings.reply_after_days <= waiting <= settings.reply_within_days:
        return None
    if person.last_reply_at is not None and person.last_reply_at >= person.last_personal_in_at:
        return None
    who = first_name(person.name)
    reason = (
        f"{who} wrote to you on {day_text(wrote_day, as_of)} ({elapsed_text(waiting)} ago) "
        "and you have not answered."
    )
    urgency = waiting / settings.reply_within_days
    return _item(person, "reply", reason, 0.5 + 0.3 * _closeness(person.strength) + 0.2 * urgency)


def _established(person: Facts, settings: DigestConfig) -> bool:
    chosen = person.cadence_source in ("tier", "override")
    return chosen or person.strength >= settings.established_contact_days


def _drifting(person: Facts, as_of: date, settings: DigestConfig) -> DigestItem | None:
    last_day = person.last_contact_day
    if person.status not in ("cooling", "cold") or last_day is None:
        return None
    if not _established(person, settings):
        return None
    since = (as_of - last_day).days
    overdue = since / person.cadence_days
    who = first_name(person.name)
    rhythm = rhythm_text(person.cadence_days)
    verb = {"meeting": "meet", "email": "write"}.get(person.last_channel or "", "talk")
    if person.cadence_source == "inferred":
        reason = f"You and {who} used to {verb} {rhythm}; it has been {elapsed_text(since)}."
    elif person.cadence_source == "tier":
        reason = (
            f"{who} is in your {person.tier} circle ({rhythm}); you last "
            f"{_past(verb)} on {day_text(last_day, as_of)}, {elapsed_text(since)} ago."
        )
    elif person.cadence_source == "override":
        reason = (
            f"You wanted to be in touch with {who} {rhythm}; it has been "
            f"{elapsed_text(since)} (last on {day_text(last_day, as_of)})."
        )
    else:
        reason = (
            f"You and {who} were in touch on {person.strength} days in the last two years; "
            f"the last was {day_text(last_day, as_of)}, {elapsed_text(since)} ago."
        )
    # strength × overdue: a close tie a month late outranks an acquaintance a year late.
    score = _closeness(person.strength) * min(1.0, math.log2(1 + overdue) / 3)
    return _item(person, "drifting", reason, score)


def _past(verb: str) -> str:
    return {"meet": "met", "write": "wrote", "talk": "talked"}[verb]


def _new(person: Facts, as_of: date, settings: DigestConfig) -> DigestItem | None:
    first_day = person.first_contact_day
    if first_day is None or person.days_after_first > 1:
        return None
    age = (as_of - first_day).days
    if not settings.new_after_days <= age <= settings.new_within_days:
        return None
    who = first_name(person.name)
    if person.first_channel == "meeting":
        what = f"You met {who} for the first time on {day_text(first_day, as_of)}"
    else:
        what = f"You first wrote to {who} on {day_text(first_day, as_of)}"
    reason = f"{what} — follow up while it's fresh."
    untouched = 1.0 if person.days_after_first == 0 else 0.8  # nothing followed yet: sooner
    return _item(person, "new", reason, untouched * (1 - age / (settings.new_within_days + 1)))


def _birthday(person: Facts, as_of: date, settings: DigestConfig) -> DigestItem | None:
    """Only for people you are in touch with (some contact in two years, or a tier)."""
    if not person.birthday or not (person.strength > 0 or person.cadence_source == "tier"):
        return None
    upcoming = next_birthday(person.birthday, as_of)
    if upcoming is None or (upcoming - as_of).days > settings.birthday_within_days:
        return None
    who = first_name(person.name)
    when = "today" if upcoming == as_of else f"on {day_text(upcoming, as_of)}"
    if upcoming == as_of + timedelta(days=1):
        when = "tomorrow"
    reason = f"It's {who}'s birthday {when}."
    return _item(person, "birthday", reason, 0.8)


def next_birthday(text: str, as_of: date) -> date | None:
    """The next occurrence (today included) of a stored BDAY: `YYYY-MM-DD` or `--MM-DD`."""
    try:
        month, day = int(text[-5:-3]), int(text[-2:])
    except ValueError:
        return None
    for year in (as_of.year, as_of.year + 1, as_of.year + 2, as_of.year + 3, as_of.year + 4):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 Feb in a common year
            continue
        if candidate >= as_of:
            return candidate
    return None


def _reconnect(person: Facts, as_of: date, settings: DigestConfig) -> DigestItem | None:
    last_day = person.last_contact_day
    if person.status != "dormant" or last_day is None:
        return None
    if person.peak_year_days < settings.reconnect_contact_days:
        return None
    who = first_name(person.name)
    since = (as_of - last_day).days
    peak = person.peak_year_end.year if person.peak_year_end else last_day.year
    reason = (
        f"You and {who} were in touch on {person.peak_year_days} days in a year around "
        f"{peak}; it has been {elapsed_text(since)} since {day_text(last_day, as_of)}. "
        "Say hello?"
    )
    return _item(person, "reconnect", reason, min(1.0, person.peak_year_days / 50))


__all__ = ["KIND_ORDER", "Digest", "DigestItem", "Facts", "History", "build_digest"]
