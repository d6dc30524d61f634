"""A rich table for the terminal: most overdue first, each row with its reason."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from models.report import Report

_STYLE = {
    "cold": "bold blue",
    "cooling": "yellow",
    "dormant": "dim italic",
    "warm": "green",
    "never": "dim",
}


def render(report: Report, width: int = 120) -> str:
    counts = {s: sum(1 for p in report.people if p.status == s) for s in _STYLE}
    table = Table(
        title=f"keepwarm — who to get back in touch with (as of {report.as_of.isoformat()})",
        caption=(
            f"{len(report.people)} people: {counts['cold']} cold, {counts['cooling']} cooling, "
            f"{counts['never']} never, {counts['warm']} warm"
        ),
        expand=False,
    )
    table.add_column("#", justify="right")
    table.add_column("Person")
    table.add_column("Status")
    table.add_column("Days", justify="right")
    table.add_column("Cadence", justify="right")
    table.add_column("Why")
    for rank, p in enumerate(report.people, 1):
        table.add_row(
            str(rank),
            p.name,
            f"[{_STYLE[p.status]}]{p.status}[/]",
            "" if p.days_since is None else str(p.days_since),
            f"{p.cadence_days}d",
            p.reason,
        )
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue()
