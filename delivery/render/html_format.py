"""The digest as an email-safe HTML page (a Jinja2 template, autoescaped): the few people to
act on today, grouped by why, each with a reason and one button; then what is coming up.

Small on purpose: Gmail clips messages over ~102 KB, so a card is a reason, two or three
facts, for a drifting tie an overdue bar and a sparkline of the past year — no image, no
nested chart tables. The preview (`keepwarm report --format html`) is exactly what
delivery sends: the digest, whatever `--limit` does to the table.
"""

from __future__ import annotations

from functools import cache

import jinja2

from delivery.render import words
from models.report import PersonEntry, Report

KIND_COLOURS = {
    "reply": "#b45309",
    "drifting": "#1d4ed8",
    "fading": "#0e7490",
    "new": "#047857",
    "birthday": "#be185d",
    "reconnect": "#6d28d9",
    "meeting": "#4338ca",
}


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("delivery.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("digest.html")


def render(report: Report, *, timezone: str = "UTC") -> str:
    def facts(card: words.Card) -> list[tuple[str, str]]:
        return words.facts(card, report.as_of, timezone)

    def spark(person: PersonEntry) -> str:
        return words.sparkline(list(person.contact_days_by_month))

    quiet = (
        "Nobody is waiting for you and no close tie is drifting."
        if report.people
        else "Nobody in the report yet: run `keepwarm sync` first."
    )
    return (
        _template().render(
            headline=words.headline(report),
            day=words.long_day(report.as_of),
            summary=words.summary_line(report),
            sections=words.sections(report),
            colours=KIND_COLOURS,
            facts=facts,
            overdue=words.overdue_phrase,
            spark=spark,
            upcoming=words.upcoming(report, timezone),
            upcoming_days=words.UPCOMING_DAYS,
            timezone=timezone,
            footer=words.FOOTER,
            quiet=quiet,
        )
        + "\n"
    )
