"""The digest as an email-safe HTML page: whom to write to today, at a glance.

Email clients (Gmail, Outlook's Word engine) drop <style>, scripts and external images,
so the layout is tables with inline CSS and the charts are table cells with a background
colour: an overdue bar on a 0–4× cadence scale and twelve monthly contact-day bars.
Every piece of text from the store goes through html.escape.
"""

from __future__ import annotations

from datetime import date
from html import escape
from urllib.parse import quote

from delivery.render import digest
from models.report import PersonEntry, Report

FONT = "font-family:Helvetica,Arial,sans-serif;"
INK, MUTED, LINE, PAGE = "#1f2937", "#6b7280", "#e5e7eb", "#f3f4f6"
STATUS_COLOURS = {  # (strong, pale)
    "cold": ("#1d4ed8", "#dbeafe"),
    "cooling": ("#b45309", "#fef3c7"),
    "dormant": ("#6b7280", "#f3f4f6"),
    "never": ("#4b5563", "#e5e7eb"),
    "warm": ("#15803d", "#dcfce7"),
}
_KIND_COLOUR = {"meeting": "#4338ca", "birthday": "#be185d"}
CHART_HEIGHT = 30
BAR_SCALE = 4  # the overdue bar runs from 0 to 4× the cadence


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _mailto(person: PersonEntry) -> str | None:
    if not person.emails:
        return None
    return "mailto:" + quote(person.emails[0], safe="@.+-_")


def _badge(status: str) -> str:
    strong, pale = STATUS_COLOURS[status]
    return (
        f'<span style="{FONT}display:inline-block;padding:2px 8px;border-radius:10px;'
        f"background:{pale};color:{strong};font-size:12px;font-weight:bold;"
        f'text-transform:uppercase;letter-spacing:0.5px;">{_e(digest.STATUS_LABEL[status])}</span>'
    )


def _button(href: str, label: str, colour: str, *, small: bool = False) -> str:
    pad, size = ("5px 10px", 12) if small else ("9px 16px", 15)
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
        f'<td bgcolor="{colour}" style="border-radius:4px;background:{colour};">'
        f'<a href="{_e(href)}" style="{FONT}display:inline-block;padding:{pad};'
        f"color:#ffffff;font-size:{size}px;font-weight:bold;text-decoration:none;"
        f'">{_e(label)}</a></td></tr></table>'
    )


def _fill(fraction: float, strong: str, pale: str, height: int = 10) -> str:
    """One segment of a bar: `fraction` of its width in the strong colour."""
    pct = round(max(0.0, min(1.0, fraction)) * 100)
    cells = []
    if pct > 0:
        cells.append(
            f'<td width="{pct}%" height="{height}" bgcolor="{strong}" '
            f'style="background:{strong};height:{height}px;font-size:0;line-height:0;">&nbsp;</td>'
        )
    if pct < 100:
        cells.append(
            f'<td width="{100 - pct}%" height="{height}" bgcolor="{pale}" '
            f'style="background:{pale};height:{height}px;font-size:0;line-height:0;">&nbsp;</td>'
        )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f"<tr>{''.join(cells)}</tr></table>"
    )


def overdue_bar(person: PersonEntry) -> str:
    """Four segments, one per multiple of the cadence, with a gap (the mark) at 1×, 2×, 3×;
    the first segment is 'within cadence', everything past it is overdue."""
    if person.overdue_ratio is None:
        return ""
    strong, pale = STATUS_COLOURS[person.status]
    ratio = person.overdue_ratio
    segments = "".join(
        f'<td width="25%" style="padding:0 2px 0 0;">{_fill(ratio - i, strong, pale)}</td>'
        for i in range(BAR_SCALE)
    )
    labels = "".join(
        f'<td width="25%" align="right" style="{FONT}font-size:10px;color:{MUTED};'
        f'padding:1px 3px 0 0;">{i + 1}×</td>'
        for i in range(BAR_SCALE)
    )
    beyond = " (off the scale)" if ratio > BAR_SCALE else ""
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f'<tr><td width="60%" style="padding:0;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f"<tr>{segments}</tr><tr>{labels}</tr></table></td>"
        f'<td width="40%" valign="top" style="{FONT}font-size:13px;color:{INK};'
        f'padding:0 0 0 10px;"><b>{_e(digest.overdue_phrase(person))}</b>{_e(beyond)}'
        f'<div style="font-size:11px;color:{MUTED};">{_e(digest.gap_phrase(person))}</div></td>'
        "</tr></table>"
    )


def _month_letters(as_of: date) -> list[str]:
    letters = []
    for back in range(11, -1, -1):
        month = (as_of.month - 1 - back) % 12 + 1
        letters.append(date(2000, month, 1).strftime("%b")[0])
    return letters


def month_chart(person: PersonEntry, as_of: date) -> str:
    """Twelve bars of contact days per month, oldest first; an empty month is a thin line."""
    values = list(person.contact_days_by_month)[-12:]
    if not any(values):
        return (
            f'<div style="{FONT}font-size:11px;color:{MUTED};">'
            "No contact days in the past 12 months</div>"
        )
    values = [0] * (12 - len(values)) + values
    peak = max(values) or 1
    strong = STATUS_COLOURS["warm"][0] if person.status == "warm" else "#6366f1"
    bars, letters = [], []
    for value, letter in zip(values, _month_letters(as_of), strict=True):
        height = max(3, round(value / peak * CHART_HEIGHT)) if value else 1
        colour = strong if value else "#d1d5db"
        title = f"{value} contact day{'s' if value != 1 else ''}"
        bars.append(
            f'<td valign="bottom" width="8%" height="{CHART_HEIGHT}" '
            f'style="height:{CHART_HEIGHT}px;padding:0 1px;" title="{_e(title)}">'
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
            f'<tr><td height="{height}" bgcolor="{colour}" style="background:{colour};'
            f'height:{height}px;font-size:0;line-height:0;">&nbsp;</td></tr></table></td>'
        )
        letters.append(
            f'<td align="center" style="{FONT}font-size:9px;color:{MUTED};padding:1px 0 0;">'
            f"{letter}</td>"
        )
    total = sum(values)
    caption = f"Contact days, past 12 months: {total}"
    return (
        f'<div style="{FONT}font-size:11px;color:{MUTED};padding:0 0 3px;">{_e(caption)}</div>'
        '<table role="presentation" width="180" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:180px;"><tr>{"".join(bars)}</tr><tr>{"".join(letters)}</tr></table>'
    )


def _detail(label: str, value: str) -> str:
    return (
        f'<div style="{FONT}font-size:13px;color:{INK};padding:2px 0;">'
        f'<span style="color:{MUTED};">{_e(label)}</span> {_e(value)}</div>'
    )


def _birthday(person: PersonEntry, today: date) -> str:
    day = digest.birthday_soon(person, today)
    if day is None:
        return ""
    return (
        f'<div style="{FONT}font-size:13px;color:#be185d;padding:2px 0;font-weight:bold;">'
        f"Birthday {_e(digest.relative_day(day, today))} — a good reason to write</div>"
    )


def person_card(rank: int, person: PersonEntry, report: Report, timezone: str) -> str:
    strong, _pale = STATUS_COLOURS[person.status]
    today = report.as_of
    href = _mailto(person)
    soon = digest.meeting_soon(person, today, timezone)
    action = ""
    if href and person.status != "warm" and not soon:
        action = _button(href, f"Write to {digest.first_name(person.name)}", strong, small=True)
    elif soon:
        action = (
            f'<div style="{FONT}font-size:12px;color:{MUTED};">Meeting soon — '
            "no need to write first</div>"
        )
    cadence = f"every {person.cadence_days} days ({person.cadence_source})"
    if person.tier:
        cadence = f"{person.tier} · {cadence}"
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="border:1px solid {LINE};border-left:4px solid {strong};border-radius:4px;'
        'margin:0 0 12px;background:#ffffff;">'
        '<tr><td style="padding:12px 14px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>'
        f'<td style="{FONT}font-size:17px;font-weight:bold;color:{INK};">'
        f'<span style="color:{MUTED};font-weight:normal;">{rank}.</span> {_e(person.name)}'
        f'<span style="{FONT}font-size:12px;font-weight:normal;color:{MUTED};">'
        f" &nbsp;{_e(cadence)}</span></td>"
        f'<td align="right" valign="top">{_badge(person.status)}</td></tr></table>'
        f'<div style="{FONT}font-size:14px;color:{INK};padding:6px 0 8px;line-height:1.4;">'
        f"{_e(person.reason)}</div>"
        f"{overdue_bar(person)}"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="margin-top:8px;"><tr>'
        '<td valign="top" style="padding:0 10px 0 0;">'
        f"{_detail('Last contact:', digest.last_contact_phrase(person, today, timezone))}"
        f"{_detail('Next meeting:', digest.next_meeting_phrase(person, today, timezone))}"
        f"{_birthday(person, today)}"
        f'<div style="padding-top:8px;">{action}</div></td>'
        f'<td valign="top" width="180" style="width:180px;">{month_chart(person, today)}</td>'
        "</tr></table>"
        "</td></tr></table>"
    )


def _counts(report: Report) -> str:
    counts = digest.counts(report)
    pills = []
    for status, label in digest.STATUS_LABEL.items():
        if not counts[status]:
            continue
        strong, pale = STATUS_COLOURS[status]
        pills.append(
            f'<span style="{FONT}display:inline-block;margin:0 6px 4px 0;padding:3px 9px;'
            f"border-radius:10px;background:{pale};color:{strong};font-size:13px;"
            f'font-weight:bold;">{counts[status]} {_e(label)}</span>'
        )
    shown = len(report.people)
    noun = "person" if shown == 1 else "people"
    return (
        f'<div style="{FONT}font-size:13px;color:{MUTED};padding:0 0 4px;">'
        f"The {shown} {noun} most in need of a message:</div><div>{''.join(pills)}</div>"
    )


def _lead(report: Report, timezone: str) -> str:
    first = digest.start_with(report, timezone)
    text = digest.lead(report, timezone)
    button = ""
    if first is not None and (href := _mailto(first)):
        button = _button(href, f"Write to {first.name}", STATUS_COLOURS[first.status][0])
        button = f'<div style="padding-top:10px;">{button}</div>'
    return (
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="background:#fffbeb;border:1px solid #fde68a;border-radius:4px;margin:12px 0;">'
        f'<tr><td style="{FONT}font-size:15px;color:{INK};padding:12px 14px;line-height:1.45;">'
        f"{_e(text)}"
        f"{button}"
        "</td></tr></table>"
    )


def _upcoming(report: Report, timezone: str) -> str:
    items = digest.upcoming(report, timezone)
    if not items:
        return ""
    rows = "".join(
        f'<tr><td width="80" valign="top" style="padding:5px 8px 5px 0;'
        f'border-bottom:1px solid {LINE};"><span style="{FONT}font-size:11px;'
        f"font-weight:bold;text-transform:uppercase;color:{_KIND_COLOUR[item.kind]};"
        f'">{_e(item.kind)}</span></td>'
        f'<td style="{FONT}font-size:14px;color:{INK};padding:4px 0;'
        f'border-bottom:1px solid {LINE};">{_e(item.text(timezone))}</td></tr>'
        for item in items
    )
    return (
        f'<h2 style="{FONT}font-size:16px;color:{INK};margin:20px 0 6px;">'
        f"Upcoming in the next {digest.UPCOMING_DAYS} days</h2>"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f"{rows}</table>"
    )


def render(report: Report, *, timezone: str = "UTC") -> str:
    title = digest.headline(report, timezone)
    cards = "".join(
        person_card(rank, person, report, timezone) for rank, person in enumerate(report.people, 1)
    )
    footer = (
        f"Report for {digest.long_day(report.as_of)}; times in {timezone}. "
        "The bar shows days since you were last in touch as a multiple of how often you "
        "want to be: past 1× is cooling, past 2× is cold. Sent by keepwarm."
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title></head>"
        f'<body style="margin:0;padding:0;background:{PAGE};">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'bgcolor="{PAGE}" style="background:{PAGE};"><tr><td align="center" '
        'style="padding:16px 8px;">'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:640px;background:#ffffff;border-radius:6px;">'
        '<tr><td style="padding:20px 22px;">'
        f'<div style="{FONT}font-size:12px;color:{MUTED};text-transform:uppercase;'
        f'letter-spacing:1px;">keepwarm · {_e(digest.long_day(report.as_of))}</div>'
        f'<h1 style="{FONT}font-size:22px;line-height:1.3;color:{INK};margin:6px 0 0;">'
        f"{_e(title)}</h1>"
        f"{_lead(report, timezone)}"
        f"{_counts(report)}"
        f'<div style="height:12px;line-height:12px;font-size:0;">&nbsp;</div>'
        f"{cards}"
        f"{_upcoming(report, timezone)}"
        f'<p style="{FONT}font-size:11px;color:{MUTED};margin:20px 0 0;line-height:1.4;">'
        f"{_e(footer)}</p>"
        "</td></tr></table>"
        "</td></tr></table></body></html>\n"
    )
