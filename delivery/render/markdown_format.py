"""Markdown: pastes cleanly into notes, issues and chat."""

from __future__ import annotations

from models.report import Report

_BADGE = {
    "cold": "🧊 cold",
    "cooling": "🌤 cooling",
    "dormant": "💤 dormant",
    "warm": "🔥 warm",
    "never": "∅ never",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report) -> str:
    lines = [
        f"# Who to get back in touch with — {report.as_of.isoformat()}",
        "",
        "| # | Person | Status | Days since | Cadence | Why |",
        "| ---: | --- | --- | ---: | ---: | --- |",
    ]
    for rank, p in enumerate(report.people, 1):
        days = "" if p.days_since is None else str(p.days_since)
        lines.append(
            f"| {rank} | {_cell(p.name)} | {_BADGE[p.status]} | {days} | "
            f"{p.cadence_days} d ({p.cadence_source}) | {_cell(p.reason)} |"
        )
    if not report.people:
        lines.append("| | Nobody yet: sync an account first. | | | | |")
    return "\n".join(lines) + "\n"
