"""The words of the morning digest, shared by the HTML, Slack and plain-text formats.

Every digest says the same things in the same order — a headline, whom to start with,
how many people are in each state, one card per person, what is coming up — so the
wording lives here once and each format only decides how it looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.report import PersonEntry, Report

UPCOMING_DAYS = 14
OVERDUE = ("cold", "cooling")
STATUS_LABEL = {
    "cold": "cold",
    "cooling": "cooling",
    "dormant": "dormant",
    "never": "never contacted",
    "warm": "warm",
}
_BIRTHDAY = re.compile(r"^(?:(\d{4})|--)-?(\d{2})-?(\d{2})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A planned meeting or a birthday within UPCOMING_DAYS of the report day."""

    day: date
    kind: str  # "meeting" | "birthday"
    person: PersonEntry
    today: date
    at: datetime | None = None

    def text(self, timezone: str = "UTC") -> str:
        when = relative_day(self.day, self.today)
        if self.kind == "birthday":
            return f"{when}: {self.person.name}'s birthday"
        clock = f" at {local(self.at, timezone):%H:%M}" if self.at else ""
        return f"{when}{clock}: meeting with {self.person.name}"


def first_name(name: str) -> str:
    parts = name.split()
    return parts[0] if parts else name


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def short_day(day: date) -> str:
    """'Tue 3 Dec' — readable at a glance, no leading zeros, no locale surprises."""
    return f"{day:%a} {day.day} {day:%b}"


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def relative_day(day: date, today: date) -> str:
    delta = (day - today).days
    if delta == 0:
        return f"Today ({short_day(day)})"
    if delta == 1:
        return f"Tomorrow ({short_day(day)})"
    if 1 < delta <= 7:
        return f"{short_day(day)} (in {delta} days)"
    return short_day(day)


def counts(report: Report) -> dict[str, int]:
    return {s: sum(1 for p in report.people if p.status == s) for s in STATUS_LABEL}


def count_line(report: Report) -> str:
    c = counts(report)
    parts = [f"{c[s]} {STATUS_LABEL[s]}" for s in STATUS_LABEL if c[s]]
    shown = len(report.people)
    noun = "person" if shown == 1 else "people"
    return f"{shown} {noun} shown: " + (", ".join(parts) if parts else "none")


def meeting_soon(person: PersonEntry, today: date, timezone: str = "UTC") -> bool:
    if person.next_planned_at is None:
        return False
    day = local(person.next_planned_at, timezone).date()
    return 0 <= (day - today).days <= UPCOMING_DAYS


def start_with(report: Report, timezone: str = "UTC") -> PersonEntry | None:
    """The most overdue person with no meeting coming up (a meeting will take care of the
    others); failing that the most overdue one; None when nobody is overdue."""
    overdue = [p for p in report.people if p.status in OVERDUE]
    for person in overdue:
        if not meeting_soon(person, report.as_of, timezone):
            return person
    return overdue[0] if overdue else None


def headline(report: Report, timezone: str = "UTC") -> str:
    c = counts(report)
    overdue = c["cold"] + c["cooling"]
    first = start_with(report, timezone)
    if first is not None:
        noun = "person is" if overdue == 1 else "people are"
        return f"{overdue} {noun} overdue — write to {first.name} today"
    if c["never"]:
        noun = "person" if c["never"] == 1 else "people"
        return f"Nobody is overdue; {c['never']} {noun} you have never contacted"
    if report.people:
        return "Everyone is warm — nothing to do today"
    return "Nobody in the report yet — sync an account first"


def lead(report: Report, timezone: str = "UTC") -> str:
    """One sentence under the headline: whom to start with and why."""
    first = start_with(report, timezone)
    if first is None:
        never = [p for p in report.people if p.status == "never"]
        if never:
            return f"When you have a minute, say hello to {never[0].name}. {never[0].reason}"
        return "Nobody needs a message from you today."
    text = f"Start with {first.name}: {first.reason}"
    if meeting_soon(first, report.as_of, timezone):
        text += " (everyone overdue has a meeting coming up)"
    return text


def overdue_phrase(person: PersonEntry) -> str:
    """'3.9× your cadence' — how far past the usual gap the silence has run."""
    if person.overdue_ratio is None:
        return "no contact on record"
    return f"{person.overdue_ratio:.1f}× your cadence"


def gap_phrase(person: PersonEntry) -> str:
    """'116 days since contact, aim 30'."""
    if person.days_since is None:
        return f"aim: every {person.cadence_days} days"
    unit = "day" if person.days_since == 1 else "days"
    return f"{person.days_since} {unit} since contact, aim {person.cadence_days}"


def last_contact_phrase(person: PersonEntry, today: date, timezone: str = "UTC") -> str:
    last = person.last_contact
    if last is None:
        return "never"
    how = {
        ("email", "outbound"): "you emailed",
        ("email", "inbound"): "they emailed you",
        ("email", "mutual"): "email",
    }.get((last.channel, last.direction), last.channel)
    day = local(last.at, timezone).date()
    ago = person.days_since if person.days_since is not None else (today - day).days
    unit = "day" if ago == 1 else "days"
    return f"{short_day(day)} {day.year} — {how} ({ago} {unit} ago)"


def next_meeting_phrase(person: PersonEntry, today: date, timezone: str = "UTC") -> str:
    if person.next_planned_at is None:
        return "none planned"
    at = local(person.next_planned_at, timezone)
    return f"{relative_day(at.date(), today)} at {at:%H:%M}"


def birthday_in(person: PersonEntry, today: date) -> date | None:
    """The next occurrence of the person's birthday on or after today (ISO, --MM-DD,
    YYYYMMDD); 29 Feb falls on 28 Feb in other years."""
    if not person.birthday:
        return None
    match = _BIRTHDAY.match(person.birthday.strip())
    if not match:
        return None
    month, day = int(match.group(2)), int(match.group(3))
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            if month == 2 and day == 29:
                candidate = date(year, 2, 28)
            else:
                return None
        if candidate >= today:
            return candidate
    return None


def birthday_soon(person: PersonEntry, today: date) -> date | None:
    day = birthday_in(person, today)
    return day if day is not None and (day - today).days <= UPCOMING_DAYS else None


def upcoming(report: Report, timezone: str = "UTC") -> list[Upcoming]:
    """Meetings and birthdays within UPCOMING_DAYS of the report day, soonest first."""
    today = report.as_of
    horizon = today + timedelta(days=UPCOMING_DAYS)
    items: list[Upcoming] = []
    for person in report.people:
        if person.next_planned_at is not None:
            at = person.next_planned_at
            day = local(at, timezone).date()
            if today <= day <= horizon:
                items.append(Upcoming(day, "meeting", person, today, at))
        birthday = birthday_in(person, today)
        if birthday is not None and birthday <= horizon:
            items.append(Upcoming(birthday, "birthday", person, today))
    items.sort(key=lambda u: (u.day, u.at or datetime.min.replace(tzinfo=UTC), u.person.name))
    return items


def hide_addresses(text: str) -> str:
    """For shared channels: 'ada@example.com' becomes 'a…@…'."""
    return _EMAIL.sub(lambda m: f"{m.group(0)[0]}…@…", text)


def mailto(person: PersonEntry) -> str | None:
    return f"mailto:{person.emails[0]}" if person.emails else None
