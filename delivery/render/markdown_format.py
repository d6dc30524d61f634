"""Markdown: the digest's sections, then everyone in a table; pastes into notes and chat."""

from __future__ import annotations

from delivery.render import words
from models.report import Report

_BADGE = {
    "cold": "🧊 cold",
    "cooling": "🌤 cooling",
    "warm": "🔥 warm",
    "never": "∅ never",
    "dormant": "💤 dormant",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _inline(text: str) -> str:
    """Keep user text literal: Markdown's emphasis and link characters escaped."""
    for char in "\\`*_[]<>#":
        text = text.replace(char, "\\" + char)
    return text


def render(report: Report) -> str:
    lines = [f"# {words.headline(report)}", "", f"_{words.long_day(report.as_of)}_", ""]
    for section in words.sections(report):
        lines += [f"## {section.title}", ""]
        for card in section.cards:
            who = f"**{_inline(card.item.name)}**"
            if card.email:
                who += f" ({_inline(card.email)})"
            lines.append(f"- {who} — {_inline(card.item.reason)}")
        lines.append("")
    lines += [
        f"## Everyone, most overdue first ({words.summary_line(report, table=True)})",
        "",
        "| # | Person | Status | Days since | Cadence | Why |",
        "| ---: | --- | --- | ---: | ---: | --- |",
    ]
    for rank, p in enumerate(report.people, 1):
        days = "" if p.days_since is None else str(p.days_since)
        state = " ".join(words.user_state(p))
        status = _BADGE[p.status] + (f" ({state})" if state else "")
        lines.append(
            f"| {rank} | {_cell(_inline(p.name))} | {status} | {days} | "
            f"{p.cadence_days} d ({p.cadence_source}) | {_cell(_inline(p.reason))} |"
        )
    if not report.people:
        lines.append("| | Nobody yet: sync an account first. | | | | |")
    return "\n".join(lines) + "\n"
