"""Dates and durations the way a person says them in a sentence ("15 Nov", "6 weeks")."""

from __future__ import annotations

from datetime import date


def day_text(day: date, today: date | None = None) -> str:
    """`15 Nov`, with the year when it is not this year's."""
    text = f"{day.day} {day.strftime('%b')}"
    return text if today is None or day.year == today.year else f"{text} {day.year}"


def elapsed_text(days: int) -> str:
    """A rounded duration: 1 day, 12 days, 3 weeks, 5 months, 2 years."""
    if days < 14:
        return f"{days} day" if days == 1 else f"{days} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    if days < 700:
        months = round(days / 30.44)
        return f"{months} months" if months != 1 else "a month"
    years = round(days / 365.25)
    return f"{years} years"


_RHYTHMS = (
    (1, "every day"),
    (7, "every week"),
    (14, "every two weeks"),
    (30, "every month"),
    (61, "every two months"),
    (91, "every three months"),
    (182, "twice a year"),
    (365, "once a year"),
)


def rhythm_text(cadence_days: int) -> str:
    """`every week` for 6–8 days, else the nearest plain rhythm within 15 %, else N days."""
    for days, text in _RHYTHMS:
        if abs(cadence_days - days) <= max(1, round(days * 0.15)) or cadence_days == days:
            return text
    return f"every {cadence_days} days"
