"""DESIGN.md's contact, status and digest rules, applied to what a sample generator wrote.

The generators label their people by construction (an archetype says what it is); this module
checks those labels against the rules and labels the demo's year. It is deliberately free of
models/ (which is what the samples test): the same rules, written again, small and slow.

Defaults throughout (DESIGN.md "What counts as contact", "Report JSON", "The morning digest"):
at most 10 email recipients, 8 meeting attendees besides you; tiers from the card; dormant
after 365 days and 4x the cadence; strength = contact days in the last 730 days; established
at strength 4 or with a tier; digest budget 7 filled reply, drifting, new, reconnect (one).
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import getaddresses
from typing import Protocol

from samples.generate import DEFAULT_DAYS, TIERS, Mail, normalize

MAX_EMAIL_GROUP = 10
MAX_MEETING_SIZE = 8
DORMANT_AFTER_DAYS = 365
DORMANT_RATIO = 4
STRENGTH_DAYS = 730
ESTABLISHED_STRENGTH = 4
RECONNECT_CONTACT_DAYS = 10
RECONNECT_WINDOW_DAYS = 365
REPLY_DAYS = (2, 30)
NEW_DAYS = (3, 30)
NEW_MORE_DAYS = 1
PLANNED_DAYS = 14
BUDGET = 7
KIND_ORDER = ("reply", "drifting", "new", "reconnect")

BULK_LABELS = frozenset(
    {
        "category promotions",
        "category social",
        "category updates",
        "category forums",
        "spam",
        "trash",
    }
)
# Only unmistakable machine senders; the generators never give a person an address like this.
NOREPLY = re.compile(r"(^|[._+-])(no-?reply|do-?not-?reply|mailer-daemon)([._+-]|$)", re.I)


@dataclass(frozen=True, slots=True, order=True)
class Touch:
    """One counting contact with one person: `out` (you wrote), `in` (they wrote to you),
    `meet`; `personal`: inbound with you in To among at most 10 (a reply can be owed)."""

    at: datetime  # aware UTC
    way: str
    personal: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one person on one day."""

    status: str  # warm | cooling | cold | dormant | never
    kind: str | None  # reply | drifting | new | reconnect | None
    tier: str | None
    cadence_days: int
    cadence_source: str  # tier | inferred | default
    last: datetime | None
    days_since: int | None
    strength: int
    established: bool
    overdue_ratio: float | None
    score: float | None  # strength x overdue ratio: how `drifting` people rank
    best_year: int  # most contact days within any 365-day window
    contact_days: tuple[date, ...]
    next_planned: datetime | None


def median_gap(days: Sequence[date]) -> int | None:
    """Median gap between distinct contact days once there are three (half up, at least 1)."""
    distinct = sorted(set(days))
    if len(distinct) < 3:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(distinct)]
    return max(1, int(statistics.median(gaps) + 0.5))


def status_of(days_since: int | None, cadence: int) -> str:
    if days_since is None:
        return "never"
    if days_since > DORMANT_AFTER_DAYS and days_since > DORMANT_RATIO * cadence:
        return "dormant"
    if days_since < cadence:
        return "warm"
    return "cooling" if days_since <= 2 * cadence else "cold"


def best_year(days: Sequence[date]) -> int:
    """The most distinct contact days inside any window of 365 days."""
    ordered = sorted(set(days))
    best, start = 0, 0
    for end, day in enumerate(ordered):
        while (day - ordered[start]).days >= RECONNECT_WINDOW_DAYS:
            start += 1
        best = max(best, end - start + 1)
    return best


def judge(
    touches: Iterable[Touch],
    *,
    today: date,
    tier: str | None = None,
    has_card: bool = False,
    planned: Iterable[datetime] = (),
    snoozed: bool = False,
    ignored: bool = False,
) -> Verdict:
    """The rules for one person as of the end of `today` (UTC). Only people are judged: the
    caller leaves out bulk/automated senders and correspondents who only ever wrote."""
    end = datetime.combine(today + timedelta(days=1), time.min, UTC)
    past = sorted(t for t in touches if t.at < end)
    days = sorted({t.at.astimezone(UTC).date() for t in past})
    if tier is not None:
        cadence, source = TIERS[tier], "tier"
    else:
        inferred = median_gap(days)
        cadence, source = (inferred, "inferred") if inferred else (DEFAULT_DAYS, "default")
    last = past[-1].at if past else None
    days_since = (today - days[-1]).days if days else None
    status = status_of(days_since, cadence)
    strength = sum(1 for d in days if (today - d).days < STRENGTH_DAYS)
    established = strength >= ESTABLISHED_STRENGTH or tier is not None
    ratio = None if days_since is None else days_since / cadence
    upcoming = sorted(p for p in planned if p >= end)
    next_planned = upcoming[0] if upcoming else None
    soon = next_planned is not None and (next_planned.date() - today).days <= PLANNED_DAYS
    year = best_year(days)
    kind: str | None = None
    person = has_card or any(t.way != "in" for t in past)
    if person and not snoozed and not ignored:
        kind = _kind(past, today, status, established, soon, year)
    return Verdict(
        status=status,
        kind=kind,
        tier=tier,
        cadence_days=cadence,
        cadence_source=source,
        last=last,
        days_since=days_since,
        strength=strength,
        established=established,
        overdue_ratio=None if ratio is None else round(ratio, 2),
        score=None if ratio is None else round(strength * ratio, 3),
        best_year=year,
        contact_days=tuple(days),
        next_planned=next_planned,
    )


def _age(today: date, moment: datetime) -> int:
    return (today - moment.astimezone(UTC).date()).days


def _kind(
    past: Sequence[Touch], today: date, status: str, established: bool, soon: bool, year: int
) -> str | None:
    """The first kind (in fill order) this person qualifies for, after the exclusions."""
    low, high = REPLY_DAYS
    mine = [t for t in past if t.way != "in"]
    answered_by = mine[-1].at if mine else None
    for touch in past:
        owed = touch.way == "in" and touch.personal and low <= _age(today, touch.at) <= high
        if owed and (answered_by is None or answered_by <= touch.at):
            return "reply"
    if soon:
        return None
    if established and status in ("cooling", "cold"):
        return "drifting"
    if mine:
        first = mine[0].at.astimezone(UTC).date()
        later = {t.at.astimezone(UTC).date() for t in past} - {first}
        later = {d for d in later if d > first}
        if NEW_DAYS[0] <= (today - first).days <= NEW_DAYS[1] and len(later) <= NEW_MORE_DAYS:
            return "new"
    if status == "dormant" and year >= RECONNECT_CONTACT_DAYS:
        return "reconnect"
    return None


@dataclass(frozen=True, slots=True)
class ExpectedDigest:
    """Who the digest must hold with a given budget, in DESIGN's kind order, with one seat
    each kept for `new` and `reconnect` when there is a candidate (models.digest).

    `items` are (key, kind) in fill order: `reply` in no particular order, `drifting` ranked by
    strength x overdue ratio, then `new`. `reconnect_from` is non-empty when a slot is left for
    the one `reconnect` item: any one of those people (the digest rotates through them)."""

    items: tuple[tuple[str, str], ...]
    reconnect_from: frozenset[str] = field(default_factory=frozenset)

    def kinds(self) -> set[str]:
        return {kind for _, kind in self.items} | ({"reconnect"} if self.reconnect_from else set())


class Ranked(Protocol):
    """What filling the digest reads of a person (a Verdict, or a PersonTruth)."""

    @property
    def kind(self) -> str | None: ...

    @property
    def score(self) -> float | None: ...


def fill_digest(verdicts: Mapping[str, Ranked], budget: int = BUDGET) -> ExpectedDigest:
    by_kind: dict[str, list[str]] = {kind: [] for kind in KIND_ORDER}
    for key, verdict in verdicts.items():
        if verdict.kind is not None:
            by_kind[verdict.kind].append(key)
    by_kind["reply"].sort()
    by_kind["drifting"].sort(key=lambda k: (-(verdicts[k].score or 0.0), k))
    by_kind["new"].sort()
    items: list[tuple[str, str]] = [(key, "reply") for key in by_kind["reply"][:budget]]
    seated = [kind for kind in ("new", "reconnect") if by_kind[kind]][: budget - len(items)]
    room = max(0, budget - len(items) - len(seated))
    items += [(key, "drifting") for key in by_kind["drifting"][:room]]
    news = by_kind["new"]
    room_for_new = budget - len(items) - (1 if "reconnect" in seated else 0)
    items += [(key, "new") for key in news[: max(0, room_for_new)]]
    left = "reconnect" in seated
    return ExpectedDigest(tuple(items), frozenset(by_kind["reconnect"]) if left else frozenset())


# --- recomputing contact from what was written ------------------------------------------


def _addresses(values: Iterable[str]) -> list[str]:
    found = []
    for _, raw in getaddresses(list(values)):
        if "@" in raw:
            found.append(normalize(raw))
    return found


def mail_touches(
    mails: Iterable[Mail], me: Collection[str]
) -> tuple[dict[str, list[Touch]], set[str]]:
    """Counting email contact per normalized address (bulk and automated senders already
    dropped, with the mail you wrote them), and the set of those senders."""
    mine = {normalize(m) for m in me}
    touches: dict[str, list[Touch]] = {}
    machines: set[str] = set()
    for mail in mails:
        labels = {label.strip().strip('"').lower() for label in mail.labels.split(",")}
        headers = {name.lower(): value for name, value in mail.extra}
        senders = _addresses([mail.sender])
        sender = senders[0] if senders else ""
        to, cc, bcc = _addresses(mail.to), _addresses(mail.cc), _addresses(mail.bcc)
        at = mail.when.astimezone(UTC)
        bulk = bool(labels & BULK_LABELS) or bool(
            headers.get("list-id") or headers.get("list-unsubscribe")
        )
        bulk = bulk or headers.get("precedence", "").lower() in ("bulk", "list", "junk")
        if "sent" in labels or sender in mine:
            others = set(to + cc + bcc) - mine
            if not bulk and len(others) <= MAX_EMAIL_GROUP:
                for who in others:
                    touches.setdefault(who, []).append(Touch(at, "out"))
            continue
        auto = headers.get("auto-submitted", "").strip().lower() not in ("", "no")
        if bulk or auto or NOREPLY.search(sender.partition("@")[0]):
            machines.add(sender)
            continue
        if not mine & set(to + cc):
            continue
        group = len(({sender} | set(to) | set(cc)) - mine)
        personal = bool(mine & set(to)) and group <= MAX_EMAIL_GROUP
        touches.setdefault(sender, []).append(Touch(at, "in", personal))
    for machine in machines:
        touches.pop(machine, None)
    return touches, machines


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    """One calendar entry as written: every occurrence's start, who was invited (not you, not
    rooms) and whether they declined, whether you declined, whether it was cancelled."""

    starts: tuple[datetime, ...]
    attendees: tuple[tuple[str, bool], ...]
    i_declined: bool = False
    cancelled: bool = False


def meeting_touches(
    meetings: Iterable[MeetingFacts], today: date
) -> tuple[dict[str, list[Touch]], dict[str, list[datetime]]]:
    """Past counting meetings per address, and planned ones (after `today`)."""
    end = datetime.combine(today + timedelta(days=1), time.min, UTC)
    met: dict[str, list[Touch]] = {}
    planned: dict[str, list[datetime]] = {}
    for meeting in meetings:
        if meeting.cancelled or meeting.i_declined or len(meeting.attendees) > MAX_MEETING_SIZE:
            continue
        for who, declined in meeting.attendees:
            if declined:
                continue
            for start in meeting.starts:
                if start < end:
                    met.setdefault(who, []).append(Touch(start.astimezone(UTC), "meet"))
                else:
                    planned.setdefault(who, []).append(start.astimezone(UTC))
    return met, planned
