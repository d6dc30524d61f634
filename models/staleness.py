"""Cadence, status and the reason line — the decisions the report is made of.

Pure functions over a person's contact days, so they are easy to test and reuse.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Literal

from models.names import first_name

Status = Literal["warm", "cooling", "cold", "dormant", "never"]
DORMANT_CADENCES = 4  # dormant: silent past [digest] dormant_after_days AND 4× the cadence
CadenceSource = Literal["tier", "override", "inferred", "default"]
MIN_DAYS_TO_INFER = 3


@dataclass(frozen=True, slots=True)
class Cadence:
    days: int
    source: CadenceSource
    tier: str | None


def tier_for(
    categories: Sequence[str], tier_override: str | None, tiers: Mapping[str, int]
) -> str | None:
    """The override, else the tightest tier named by the person's card categories."""
    lookup = {name.lower(): name for name in tiers}
    if tier_override and tier_override.lower() in lookup:
        return lookup[tier_override.lower()]
    named = [lookup[c.strip().lower()] for c in categories if c.strip().lower() in lookup]
    return min(named, key=lambda t: tiers[t]) if named else None


def inferred_cadence(contact_days: Sequence[date]) -> int | None:
    """Median gap between distinct contact days, once there are at least three of them."""
    days = sorted(set(contact_days))
    if len(days) < MIN_DAYS_TO_INFER:
        return None
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    return max(1, int(median(gaps) + 0.5))  # half up: a 4.5-day rhythm is "every 5 days"


def choose_cadence(
    *,
    override: int | None,
    tier: str | None,
    tiers: Mapping[str, int],
    contact_days: Sequence[date],
    default_days: int,
) -> Cadence:
    """override > tier > inferred > default (DESIGN.md)."""
    if override:
        return Cadence(override, "override", tier)
    if tier is not None:
        return Cadence(tiers[tier], "tier", tier)
    inferred = inferred_cadence(contact_days)
    if inferred is not None:
        return Cadence(inferred, "inferred", None)
    return Cadence(default_days, "default", None)


def status_for(
    days_since: int | None, cadence_days: int, dormant_after_days: int | None = None
) -> Status:
    """`dormant` is a tie already lost, not one being lost: it needs both a long silence and
    one that is long for this relationship (a yearly friend silent 13 months is just cold)."""
    if days_since is None:
        return "never"
    if days_since < cadence_days:
        return "warm"
    if days_since <= 2 * cadence_days:
        return "cooling"
    if (
        dormant_after_days is not None
        and days_since > dormant_after_days
        and days_since > DORMANT_CADENCES * cadence_days
    ):
        return "dormant"
    return "cold"


def overdue_ratio(days_since: int | None, cadence_days: int) -> float | None:
    return None if days_since is None else round(days_since / cadence_days, 2)


def sort_key(status: Status, ratio: float | None, name: str) -> tuple[int, float, str]:
    """Most overdue first; people never contacted after the overdue, before the warm; the
    dormant (ties already lost) at the bottom, most recently lost first."""
    group = {"cold": 0, "cooling": 0, "never": 1, "warm": 2, "dormant": 3}[status]
    if status == "dormant":
        return (group, ratio or 0.0, name.lower())
    return (group, -(ratio or 0.0), name.lower())


def _day(moment: datetime, today: date | None = None) -> str:
    """`1 Aug`, with the year when it is not this year's."""
    text = f"{moment.day} {moment.strftime('%b')}"
    return text if today is None or moment.year == today.year else f"{text} {moment.year}"


_CADENCE_PHRASE = {
    "tier": "you want to talk every {days} days ({tier})",
    "override": "you asked to talk every {days} days",
    "inferred": "you usually talk every {days} days",
    "default": "the default is every {days} days",
}


def _last_contact_words(who: str, channel: str | None, direction: str | None) -> str:
    """The channel in words: a logged call must not read as an email."""
    if channel == "email":
        return f"{who} last emailed you" if direction == "inbound" else f"You last emailed {who}"
    return {
        "meeting": f"You last met {who}",
        "call": f"You last spoke to {who} on the phone",
        "message": f"You last messaged {who}",
        "in-person": f"You last saw {who}",
    }.get(channel or "", f"You were last in touch with {who}")


def reason_text(
    *,
    name: str,
    cadence: Cadence,
    last_at: datetime | None,
    last_channel: str | None,
    last_direction: str | None,
    days_since: int | None,
    next_planned_at: datetime | None,
    as_of: date | None = None,
) -> str:
    """One sentence that says why this person is where they are in the list."""
    who = first_name(name)
    rule = _CADENCE_PHRASE[cadence.source].format(days=cadence.days, tier=cadence.tier)
    if last_at is None:
        text = f"No contact with {who} on record; {rule}."
    else:
        what = _last_contact_words(who, last_channel, last_direction)
        day_word = "day" if days_since == 1 else "days"
        text = f"{what} on {_day(last_at, as_of)} ({days_since} {day_word}); {rule}."
    if next_planned_at is not None:
        text += f" Next meeting planned {_day(next_planned_at, as_of)}."
    return text
