"""The plain-text part of the digest email: the same message as the HTML, for mail clients
(and people) that read text only."""

from __future__ import annotations

import textwrap

from delivery.render import words
from models.report import Report

WIDTH = 72


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]


def subject(report: Report, timezone: str = "UTC") -> str:
    del timezone  # the subject names days, not times
    return words.subject(report)


def render(report: Report, *, timezone: str = "UTC") -> str:
    today = report.as_of
    lines = [words.headline(report), "=" * min(WIDTH, 40), words.summary_line(report), ""]
    for section in words.sections(report):
        lines += [section.title.upper(), ""]
        for card in section.cards:
            lines.append(f"* {card.item.name}")
            lines += _wrap(card.item.reason, "  ")
            for label, value in words.facts(card, today, timezone):
                lines.append(f"  {label}: {value}")
            if card.email:
                lines.append(f"  {card.action}: {card.email}")
            lines.append("")
    if not report.digest.items:
        lines += ["Nobody needs a message from you today.", ""]
    soon = words.upcoming(report, timezone)
    if soon:
        lines.append(f"COMING UP (next {words.UPCOMING_DAYS} days)")
        lines += [f" - {item.text(timezone)}" for item in soon]
        lines.append("")
    lines += _wrap(f"{words.FOOTER} Report for {words.long_day(today)}; times in {timezone}.")
    return "\n".join(lines).rstrip() + "\n"
