"""The morning digest: the few people worth acting on today, each with a reason.

The report ranks everyone; on a ten-year history most of them are long-lost one-offs, and a
sort by overdue ratio puts 2017 on top. The digest is judgment (DESIGN.md "The morning
digest"), as pure functions over the report's per-person facts:

- `reply`     they wrote to you personally 2–30 days ago and you have not answered;
- `drifting`  an established tie past its cadence, ranked by strength × how overdue;
- `fading`    (off unless `fading_after_rhythms` is set) a warm tie gone quiet for several
              times this year's own rhythm, before its cadence is crossed;
- `new`       your first contact was 3–30 days ago and little has followed: keep growing;
- `birthday`  (off unless `birthday_within_days` is set) a birthday in the next few days,
              for someone you are in touch with;
- `reconnect` one strong tie that went dormant, rotating through them day by day.

Never: snoozed or ignored people, anyone with a meeting in the next 14 days (except `reply`),
one-offs gone quiet, the `warm` (except reply, new, and opted-in fading and birthday).
Someone delivered within `repeat_after_days` is not repeated (except `reply`); the
deliveries are read from the store, only those before `as_of`, so a digest for a past day is
reproducible.

Filling the budget: replies first (a person waiting on you), then drifting ties, but one seat
each is kept for `new` and `reconnect` when there is a candidate, so a busy week of drifting
friends never stops the network from growing or a lost friend from coming back to mind.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel

from models.config import DigestConfig
from models.names import first_name
from models.phrases import day_text, elapsed_text, rhythm_text

Kind = Literal["reply", "drifting", "fading", "new", "reconnect", "birthday"]
KIND_ORDER: tuple[Kind, ...] = ("reply", "drifting", "fading", "new", "birthday", "reconnect")


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
    last_contact_day: date | None  # in the report's time zone
    last_channel: str | None
    # Moments are naive UTC as stored (converted to local days only for the few who need it).
    # newest mail to you personally that is at least `reply_after_days` old (reply-worthy)
    last_personal_in_at: datetime | None
    last_reply_at: datetime | None  # newest outbound or meeting contact (you answered)
    first_contact_at: datetime | None  # first outbound email or meeting
    first_channel: str | None
    contact_days: Sequence[str]  # distinct ISO days (YYYY-MM-DD), ascending
    next_planned_at: datetime | None
    snoozed_until: date | None
    ignored: bool
    birthday: str | None  # vCard BDAY as stored: YYYY-MM-DD or --MM-DD
    zone: tzinfo = UTC  # the report's time zone

    def local_day(self, moment: datetime | None) -> date | None:
        if moment is None:
            return None
        return moment.replace(tzinfo=UTC).astimezone(self.zone).date()

    @property
    def first_contact_day(self) -> date | None:
        return self.local_day(self.first_contact_at)

    def days_after_first(self) -> int:
        """Distinct contact days after the first contact day."""
        if self.first_contact_day is None:
            return 0
        first = self.first_contact_day.isoformat()
        return len(self.contact_days) - bisect.bisect_right(self.contact_days, first)

    def busiest_year(self) -> tuple[int, date | None, date | None]:
        """The most contact days within any 365 days, and that window's first and last
        contact day."""
        days = [date.fromisoformat(text) for text in self.contact_days]
        best, first, last, start = 0, None, None, 0
        for end, current in enumerate(days):
            while (current - days[start]).days >= 365:
                start += 1
            if end - start + 1 > best:
                best, first, last = end - start + 1, days[start], current
        return best, first, last


class History:
    """Who earlier digests named, from deliveries before `as_of`: (person id, day, kind)."""

    def __init__(self, delivered: Iterable[tuple[str, date, str]] = ()) -> None:
        self.last_any: dict[str, date] = {}
        self.last_reconnect: dict[str, date] = {}
        for person_id, day, kind in delivered:
            if day > self.last_any.get(person_id, date.min):
                self.last_any[person_id] = day
            if kind == "reconnect" and day > self.last_reconnect.get(person_id, date.min):
                self.last_reconnect[person_id] = day


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person who qualifies as `kind`; the reason is written only for those chosen."""

    kind: Kind
    score: float
    person: Facts
    say: Callable[[], str]

    def item(self) -> DigestItem:
        return DigestItem(
            id=self.person.id,
            name=self.person.name,
            emails=list(self.person.emails),
            kind=self.kind,
            reason=self.say(),
            score=round(max(0.0, min(1.0, self.score)), 3),
        )


def build_digest(
    people: Sequence[Facts],
    *,
    as_of: date,
    settings: DigestConfig,
    history: History,
) -> Digest:
    """Choose at most `settings.budget` items for the day `as_of` (deliveries in `history`
    on or after `as_of` are ignored, so a past day's digest is reproducible)."""
    quiet_since = as_of - timedelta(days=settings.repeat_after_days)
    found: dict[Kind, list[Candidate]] = {kind: [] for kind in KIND_ORDER}
    rotation: dict[str, date] = {}
    for person in people:
        if person.ignored or (person.snoozed_until is not None and person.snoozed_until > as_of):
            continue
        reply = _reply(person, as_of, settings)
        if reply is not None:
            found["reply"].append(reply)
            continue
        last = history.last_any.get(person.id)
        if last is not None and quiet_since < last < as_of:
            continue  # delivered within repeat_after_days
        planned = person.local_day(person.next_planned_at)
        if planned is not None and (planned - as_of).days <= settings.planned_within_days:
            continue  # meeting soon: no need to write first
        candidate = (
            _drifting(person, as_of, settings)
            or _new(person, as_of, settings)
            or _fading(person, as_of, settings)
            or _birthday(person, as_of, settings)
            or _reconnect(person, as_of, settings)
        )
        if candidate is not None:
            found[candidate.kind].append(candidate)
            if candidate.kind == "reconnect":
                earlier = history.last_reconnect.get(person.id, date.min)
                rotation[person.id] = earlier if earlier < as_of else date.min
    for kind, candidates in found.items():
        if kind == "reconnect":  # whoever was suggested longest ago (never: first)
            best = heapq.nsmallest(
                1, candidates, key=lambda c: (rotation[c.person.id], -c.score, c.person.name)
            )
        else:  # only the top `budget` of a kind can ever be chosen
            best = heapq.nsmallest(
                settings.budget,
                candidates,
                key=lambda c: (-c.score, c.person.name.lower(), c.person.id),
            )
        candidates[:] = best
    chosen = _fill(settings.budget, found)
    return Digest(as_of=as_of, budget=settings.budget, items=[c.item() for c in chosen])


def _fill(budget: int, found: dict[Kind, list[Candidate]]) -> list[Candidate]:
    """Replies first; then drifting (and fading) ties, leaving one seat each for new,
    birthday and reconnect when they have a candidate; then more of those kinds, in order,
    while there is room."""
    chosen = found["reply"][:budget]
    later: tuple[Kind, ...] = ("new", "birthday", "reconnect")
    seated = [kind for kind in later if found[kind]][: max(0, budget - len(chosen))]
    chosen += found["drifting"][: max(0, budget - len(chosen) - len(seated))]
    chosen += found["fading"][: max(0, budget - len(chosen) - len(seated))]
    chosen += [found[kind][0] for kind in seated]
    for kind in later:
        start = 1 if kind in seated else 0
        chosen += found[kind][start : start + max(0, budget - len(chosen))]
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    return sorted(chosen[:budget], key=lambda c: order[c.kind])  # stable: ranks kept


def _closeness(strength: int) -> float:
    """0..1: how much real contact there was (contact days in two years), diminishing."""
    return 1 - math.exp(-strength / 24)


def _reply(person: Facts, as_of: date, settings: DigestConfig) -> Candidate | None:
    wrote = person.last_personal_in_at
    if wrote is None or (person.last_reply_at is not None and person.last_reply_at >= wrote):
        return None
    if (as_of - wrote.date()).days > settings.reply_within_days + 1:
        return None  # long ago in any time zone
    wrote_day = person.local_day(wrote) or as_of
    waiting = (as_of - wrote_day).days
    if not settings.reply_after_days <= waiting <= settings.reply_within_days:
        return None

    def say() -> str:
        return (
            f"{first_name(person.name)} wrote to you on {day_text(wrote_day, as_of)} "
            f"({elapsed_text(waiting)} ago) and you have not answered."
        )

    urgency = waiting / settings.reply_within_days
    score = 0.5 + 0.3 * _closeness(person.strength) + 0.2 * urgency
    return Candidate("reply", score, person, say)


def _established(person: Facts, settings: DigestConfig) -> bool:
    chosen = person.cadence_source in ("tier", "override")
    return chosen or person.strength >= settings.established_contact_days


def _drifting(person: Facts, as_of: date, settings: DigestConfig) -> Candidate | None:
    last_day = person.last_contact_day
    if person.status not in ("cooling", "cold") or last_day is None:
        return None
    if not _established(person, settings):
        return None
    since = (as_of - last_day).days
    overdue = since / person.cadence_days
    # strength × overdue: a close tie a month late outranks an acquaintance a year late.
    score = _closeness(person.strength) * min(1.0, math.log2(1 + overdue) / 3)
    return Candidate("drifting", score, person, lambda: _drifting_reason(person, as_of, since))


def _drifting_reason(person: Facts, as_of: date, since: int) -> str:
    last_day = person.last_contact_day or as_of
    who = first_name(person.name)
    rhythm = rhythm_text(person.cadence_days)
    verb = {"meeting": "meet", "email": "write"}.get(person.last_channel or "", "talk")
    if person.cadence_source == "inferred":
        return f"You and {who} used to {verb} {rhythm}; it has been {elapsed_text(since)}."
    if person.cadence_source == "tier":
        return (
            f"{who} is in your {person.tier} circle ({rhythm}); you last "
            f"{_past(verb)} on {day_text(last_day, as_of)}, {elapsed_text(since)} ago."
        )
    if person.cadence_source == "override":
        return (
            f"You wanted to be in touch with {who} {rhythm}; it has been "
            f"{elapsed_text(since)} (last on {day_text(last_day, as_of)})."
        )
    return (
        f"You and {who} were in touch on {person.strength} days in the last two years; "
        f"the last was {day_text(last_day, as_of)}, {elapsed_text(since)} ago."
    )


def _past(verb: str) -> str:
    return {"meet": "met", "write": "wrote", "talk": "talked"}[verb]


def _new(person: Facts, as_of: date, settings: DigestConfig) -> Candidate | None:
    first_at = person.first_contact_at
    if first_at is None or (as_of - first_at.date()).days > settings.new_within_days + 1:
        return None
    first_day = person.local_day(first_at) or as_of
    age = (as_of - first_day).days
    if not settings.new_after_days <= age <= settings.new_within_days:
        return None
    after = person.days_after_first()
    if after > 1:
        return None

    def say() -> str:
        who, when = first_name(person.name), day_text(first_day, as_of)
        if person.first_channel == "meeting":
            return f"You met {who} for the first time on {when} — follow up while it's fresh."
        return f"You first wrote to {who} on {when} — follow up while it's fresh."

    untouched = 1.0 if after == 0 else 0.8  # nothing followed yet: sooner
    return Candidate("new", untouched * (1 - age / (settings.new_within_days + 1)), person, say)


FADING_MIN_DAYS = 14  # below two weeks of quiet nothing is fading, whatever the rhythm
FADING_RECENT_DAYS = 6  # contact days in the last year before a rhythm means anything


def recent_rhythm(contact_days: Sequence[str], as_of: date) -> int | None:
    """The median gap between contact days in the year before `as_of` (None: too few)."""
    since = (as_of - timedelta(days=365)).isoformat()
    days = [date.fromisoformat(d) for d in contact_days if since < d <= as_of.isoformat()]
    if len(days) < FADING_RECENT_DAYS:
        return None
    gaps = sorted((b - a).days for a, b in pairwise(days))
    return max(1, gaps[len(gaps) // 2])


def _fading(person: Facts, as_of: date, settings: DigestConfig) -> Candidate | None:
    """A warm tie whose silence is already several times this year's own rhythm: the cadence
    (a tier of three months, say) has not been crossed, but weekly contact has stopped."""
    factor = settings.fading_after_rhythms
    last_day = person.last_contact_day
    if factor is None or person.status != "warm" or last_day is None:
        return None
    since = (as_of - last_day).days
    if since < FADING_MIN_DAYS:
        return None
    rhythm = recent_rhythm(person.contact_days, as_of)
    if rhythm is None or since <= factor * rhythm:
        return None

    def say() -> str:
        return (
            f"You and {first_name(person.name)} were in touch {rhythm_text(rhythm)} this year; "
            f"it has been {elapsed_text(since)} (last on {day_text(last_day, as_of)})."
        )

    score = _closeness(person.strength) * min(1.0, math.log2(1 + since / rhythm) / 4)
    return Candidate("fading", score, person, say)


def _birthday(person: Facts, as_of: date, settings: DigestConfig) -> Candidate | None:
    """Only for people you are in touch with (some contact in two years, or a tier)."""
    within = settings.birthday_within_days
    if within is None or not person.birthday:
        return None
    if not (person.strength > 0 or person.cadence_source == "tier"):
        return None
    upcoming = next_birthday(person.birthday, as_of)
    if upcoming is None or (upcoming - as_of).days > within:
        return None
    when = "today" if upcoming == as_of else f"on {day_text(upcoming, as_of)}"
    if upcoming == as_of + timedelta(days=1):
        when = "tomorrow"
    return Candidate(
        "birthday", 0.8, person, lambda: f"It's {first_name(person.name)}'s birthday {when}."
    )


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


def _reconnect(person: Facts, as_of: date, settings: DigestConfig) -> Candidate | None:
    last_day = person.last_contact_day
    if person.status != "dormant" or last_day is None:
        return None
    peak_days, peak_first, peak_last = person.busiest_year()
    if peak_days < settings.reconnect_contact_days:
        return None

    def say() -> str:
        since = (as_of - last_day).days
        first, last = peak_first or last_day, peak_last or last_day
        when = (
            f"in {first.year}"
            if first.year == last.year
            else f"between {first:%b} {first.year} and {last:%b} {last.year}"
        )
        return (
            f"You and {first_name(person.name)} were in touch on {peak_days} days {when}; "
            f"the last time was {day_text(last_day, as_of)}, {elapsed_text(since)} ago. "
            "Say hello?"
        )

    return Candidate("reconnect", min(1.0, peak_days / 50), person, say)


__all__ = ["KIND_ORDER", "Candidate", "Digest", "DigestItem", "Facts", "History", "build_digest"]
