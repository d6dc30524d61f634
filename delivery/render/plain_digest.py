"""The plain-text part of the digest email: the same message as the HTML, for mail
clients (and people) that read text only."""

from __future__ import annotations

import textwrap

from delivery.render import digest
from models.report import Report

WIDTH = 72


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]


def _bar(ratio: float | None, width: int = 20) -> str:
    """Overdue bar on a 0–4× scale: '#' filled, '|' at each whole multiple of the cadence."""
    if ratio is None:
        return ""
    filled = round(min(ratio, 4.0) / 4.0 * width)
    cells = ["#" if i < filled else "." for i in range(width)]
    return "[" + "".join(cells) + "]" + (" 4×+" if ratio > 4 else "")


def subject(report: Report, timezone: str = "UTC") -> str:
    """The email subject: the headline and the day, so the inbox line alone is useful."""
    return f"keepwarm {digest.short_day(report.as_of)}: {digest.headline(report, timezone)}"


def render(report: Report, *, timezone: str = "UTC") -> str:
    today = report.as_of
    lines = [digest.headline(report, timezone), "=" * min(WIDTH, 40), ""]
    lines += _wrap(digest.lead(report, timezone))
    lines += ["", digest.count_line(report), ""]
    for rank, person in enumerate(report.people, 1):
        status = digest.STATUS_LABEL[person.status].upper()
        lines.append(f"{rank}. {person.name} — {status}")
        lines += _wrap(person.reason, "   ")
        if person.overdue_ratio is not None:
            label = "On track" if person.status == "warm" else "Overdue"
            lines.append(
                f"   {label}: {_bar(person.overdue_ratio)} {digest.overdue_phrase(person)} "
                f"({digest.gap_phrase(person)})"
            )
        lines.append(f"   Last contact: {digest.last_contact_phrase(person, today, timezone)}")
        lines.append(f"   Next meeting: {digest.next_meeting_phrase(person, today, timezone)}")
        birthday = digest.birthday_soon(person, today)
        if birthday is not None:
            lines.append(f"   Birthday: {digest.relative_day(birthday, today)}")
        if any(person.contact_days_by_month):
            months = " ".join(str(n) for n in person.contact_days_by_month)
            lines.append(f"   Contact days by month (oldest first): {months}")
        if person.emails:
            lines.append(f"   Write to: {person.emails[0]}")
        lines.append("")
    soon = digest.upcoming(report, timezone)
    if soon:
        lines.append(f"Upcoming (next {digest.UPCOMING_DAYS} days)")
        lines += [f" - {item.text(timezone)}" for item in soon]
        lines.append("")
    lines += _wrap(
        f"Report for {digest.long_day(today)}; times in {timezone}. The bar runs from 0 to "
        "4× your usual gap between contacts: warm = within it, cooling = 1–2×, cold = more."
    )
    return "\n".join(lines).rstrip() + "\n"
