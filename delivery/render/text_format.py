"""The terminal report: the digest's few people first, each with its reason, then everyone.

Fits the terminal (or $COLUMNS; 100 in a pipe). User text is passed as rich `Text`, never
as markup, so a name like "Ben [/] Carter" prints as written.
"""

from __future__ import annotations

import io
import shutil
import textwrap

from rich.console import Console
from rich.table import Table
from rich.text import Text

from delivery.render import words
from models.report import Report

_STYLE = {
    "cold": "bold blue",
    "cooling": "yellow",
    "warm": "green",
    "never": "dim",
    "dormant": "dim italic",
}


def default_width() -> int:
    return max(60, min(160, shutil.get_terminal_size((100, 24)).columns))


def digest_lines(report: Report, width: int) -> list[str]:
    lines = [f"keepwarm — {words.long_day(report.as_of)}", words.headline(report), ""]
    number = 0
    for section in words.sections(report):
        lines.append(section.title)
        for card in section.cards:
            number += 1
            head = f"{number:>2}. {card.item.name}"
            if card.email:
                head += f" <{card.email}>"
            lines.append(head)
            lines += textwrap.wrap(
                card.item.reason, width, initial_indent="    ", subsequent_indent="    "
            )
        lines.append("")
    return lines


def render(report: Report, width: int | None = None) -> str:
    width = width or default_width()
    out = "\n".join(digest_lines(report, width)) + "\n"
    table = Table(
        title=Text(f"Everyone, most overdue first ({words.summary_line(report, table=True)})"),
        title_justify="left",
        expand=False,
        width=width,
    )
    table.add_column("#", justify="right")
    table.add_column("Person", overflow="fold")
    table.add_column("Status")
    table.add_column("Days", justify="right")
    table.add_column("Cadence", justify="right")
    table.add_column("Why", ratio=1, overflow="fold")
    for rank, p in enumerate(report.people, 1):
        table.add_row(
            str(rank),
            Text(p.name),
            Text(p.status, style=_STYLE[p.status])
            + Text("".join(f"\n{part}" for part in words.user_state(p))),
            "" if p.days_since is None else str(p.days_since),
            f"{p.cadence_days}d",
            Text(p.reason),
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    console.print(table)
    # rich pads the title to the table's width; trailing blanks only confuse diffs and mail.
    return out + "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
