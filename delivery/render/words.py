"""The words of the morning digest, shared by the text, Markdown, HTML, Slack and plain-text
formats.

Every format says the same things in the same order — a headline, then the digest's
sections (Reply, Losing touch, New — follow up, Birthdays, Reconnect) with one reason per
person and one action, then what is coming up — so the wording lives here once and each
format only decides how it looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from models.digest import DigestItem
from models.names import first_name
from models.phrases import elapsed_text
from models.report import PersonEntry, Report

UPCOMING_DAYS = 14
SECTION_TITLES = {
    "reply": "Reply",
    "drifting": "Losing touch",
    "fading": "Fading",
    "new": "New — follow up",
    "birthday": "Birthdays",
    "reconnect": "Reconnect",
}
_ACTIONS = {
    "reply": "Reply to {who}",
    "drifting": "Write to {who}",
    "fading": "Write to {who}",
    "new": "Follow up with {who}",
    "birthday": "Wish {who} a happy birthday",
    "reconnect": "Say hello to {who}",
}
_VERBS = {
    "reply": "reply to {who}",
    "drifting": "write to {who}",
    "fading": "write to {who}",
    "new": "follow up with {who}",
    "birthday": "wish {who} a happy birthday",
    "reconnect": "say hello to {who}",
}
STATUS_LABEL = {
    "cold": "cold",
    "cooling": "cooling",
    "never": "never contacted",
    "warm": "warm",
    "dormant": "dormant",
}
_BIRTHDAY = re.compile(r"^(?:(\d{4})|--)-?(\d{2})-?(\d{2})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Card:
    """One digest item as every format shows it."""

    item: DigestItem
    person: PersonEntry | None  # the table row, for facts and charts

    @property
    def who(self) -> str:
        return first_name(self.item.name)

    @property
    def action(self) -> str:
        return _ACTIONS[self.item.kind].format(who=self.who)

    @property
    def email(self) -> str | None:
        return self.item.emails[0] if self.item.emails else None


@dataclass(frozen=True, slots=True)
class Section:
    kind: str
    title: str
    cards: list[Card]


def sections(report: Report) -> list[Section]:
    """The digest's items grouped by kind, in the digest's order (which is the kind order)."""
    found: dict[str, list[Card]] = {}
    for item in report.digest.items:
        found.setdefault(item.kind, []).append(Card(item, report.entry(item.id)))
    return [
        Section(kind, SECTION_TITLES[kind], found[kind]) for kind in SECTION_TITLES if kind in found
    ]


def headline(report: Report) -> str:
    items = report.digest.items
    if items:
        first = items[0]
        verb = _VERBS[first.kind].format(who=first.name)
        if len(items) == 1:
            return f"One person worth a message today — {verb}"
        return f"{len(items)} people worth a message today — first, {verb}"
    if report.people:
        return "Nobody needs a message from you today"
    return "Nobody in the report yet — sync an account first"


def subject(report: Report) -> str:
    """The email subject: the day and who, so the inbox line alone is useful."""
    names = [item.name for item in report.digest.items]
    if not names:
        return f"keepwarm {short_day(report.as_of)}: nobody needs a message today"
    who = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    return f"keepwarm {short_day(report.as_of)}: {who}"


def summary_line(report: Report, *, table: bool = False) -> str:
    """How many people are tracked, by status: the context for the few named above. Under a
    table cut by --limit (`table`), it says how many of them the table shows."""
    counts: dict[str, int] = dict(report.status_counts)
    if not counts:
        for person in report.people:
            counts[person.status] = counts.get(person.status, 0) + 1
    order = ("cold", "cooling", "never", "warm", "dormant")
    parts = [f"{counts[s]} {STATUS_LABEL[s]}" for s in order if counts.get(s)]
    total = sum(counts.values())
    noun = "person" if total == 1 else "people"
    shown = len(report.people)
    cut = table and shown < total
    head = f"{shown} of {total} people tracked" if cut else f"{total} {noun} tracked"
    return head + (": " + ", ".join(parts) if parts else "")


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


def overdue_phrase(person: PersonEntry) -> str:
    """'3.9× your usual gap' — how far past the usual gap the silence has run."""
    if person.overdue_ratio is None:
        return "no contact on record"
    return f"{person.overdue_ratio:.1f}× your usual gap"


def rhythm_phrase(person: PersonEntry) -> str:
    where = {
        "tier": f"{person.tier} tier",
        "override": "your setting",
        "inferred": "your history",
        "default": "the default",
    }[person.cadence_source]
    return f"every {person.cadence_days} days ({where})"


def last_contact_phrase(person: PersonEntry, today: date, timezone: str = "UTC") -> str:
    last = person.last_contact
    if last is None:
        return "never"
    how = {
        ("email", "outbound"): "you emailed",
        ("email", "inbound"): "they emailed you",
        ("meeting", "mutual"): "you met",
        ("call", "mutual"): "you spoke on the phone",
        ("message", "mutual"): "you messaged",
        ("in-person", "mutual"): "you saw each other",
    }.get((last.channel, last.direction), last.channel)
    day = local(last.at, timezone).date()
    ago = person.days_since if person.days_since is not None else (today - day).days
    return f"{short_day(day)} {day.year} — {how} ({elapsed_text(ago)} ago)"


def next_meeting_phrase(person: PersonEntry, today: date, timezone: str = "UTC") -> str | None:
    if person.next_planned_at is None:
        return None
    at = local(person.next_planned_at, timezone)
    return f"{relative_day(at.date(), today)} at {at:%H:%M}"


def facts(card: Card, today: date, timezone: str) -> list[tuple[str, str]]:
    """The few facts under a reason: (label, value)."""
    person = card.person
    if person is None:
        return []
    out = [("Last contact", last_contact_phrase(person, today, timezone))]
    if card.item.kind == "drifting":
        out.append(("Usually", rhythm_phrase(person)))
    meeting = next_meeting_phrase(person, today, timezone)
    if meeting:
        out.append(("Next meeting", meeting))
    return out


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


def upcoming(report: Report, timezone: str = "UTC") -> list[Upcoming]:
    """Meetings and birthdays within UPCOMING_DAYS, soonest first (dormant ties excluded:
    a birthday of someone you lost touch with years ago is not news)."""
    today = report.as_of
    horizon = today + timedelta(days=UPCOMING_DAYS)
    items: list[Upcoming] = []
    for person in report.people:
        if person.next_planned_at is not None:
            at = person.next_planned_at
            day = local(at, timezone).date()
            if today <= day <= horizon:
                items.append(Upcoming(day, "meeting", person, today, at))
        if person.status == "dormant":
            continue
        birthday = birthday_in(person, today)
        if birthday is not None and birthday <= horizon:
            items.append(Upcoming(birthday, "birthday", person, today))
    items.sort(key=lambda u: (u.day, u.at or datetime.min.replace(tzinfo=UTC), u.person.name))
    return items


def hide_addresses(text: str) -> str:
    """For shared channels: 'ada@example.com' becomes 'a…@…'."""
    return _EMAIL.sub(lambda m: f"{m.group(0)[0]}…@…", text)


def sparkline(values: list[int]) -> str:
    """Contact days per month as block characters (a blank for an empty month)."""
    if not any(values):
        return ""
    peak = max(values)
    marks = "▁▂▃▄▅▆▇█"
    return "".join(" " if v == 0 else marks[min(7, round(v / peak * 7))] for v in values)


FOOTER = (
    "keepwarm names the few people worth a message today: those waiting for your reply, "
    "close ties past their usual rhythm, new people to follow up, and one old friend to "
    "reconnect with. `keepwarm people snooze|ignore|log` tells it what it cannot see."
)


def user_state(person: PersonEntry) -> list[str]:
    """What the user told keepwarm about this person, for the table, in short pieces a
    narrow column can stack (empty when nothing): ["snoozed", "to 22 Dec"]."""
    if person.ignored:
        return ["ignored"]
    if person.snoozed_until is not None:
        return ["snoozed", f"to {person.snoozed_until.day} {person.snoozed_until:%b}"]
    return []
