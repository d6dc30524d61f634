"""The digest as Slack Block Kit messages, within Slack's limits.

Slack rejects a message with more than 50 blocks or a text field over 3,000 characters
(a header over 150), so the digest is split into several messages — never truncated —
each with a plain `text` fallback for notifications. `hide_addresses` is for shared
channels: email addresses (and any subject) never leave the store.
"""

from __future__ import annotations

import json
from typing import Any

from delivery.render import digest
from models.report import PersonEntry, Report

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
_EMOJI = {
    "cold": ":large_blue_circle:",
    "cooling": ":large_orange_circle:",
    "dormant": ":black_circle:",
    "never": ":white_circle:",
    "warm": ":large_green_circle:",
}
_SPARK = "▁▂▃▄▅▆▇█"

Block = dict[str, Any]
Message = dict[str, Any]


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean(text: str, hide: bool) -> str:
    return _escape(digest.hide_addresses(text) if hide else text)


def bar(ratio: float | None, width: int = 12) -> str:
    """Overdue bar on a 0–4× scale, a '|' at each multiple of the cadence."""
    if ratio is None:
        return ""
    per = width // 4
    filled = round(min(ratio, 4.0) / 4.0 * width)
    cells = ["▰" if i < filled else "▱" for i in range(width)]
    return "|".join("".join(cells[i : i + per]) for i in range(0, width, per))


def sparkline(values: list[int]) -> str:
    if not any(values):
        return ""
    peak = max(values)
    return "".join(" " if v == 0 else _SPARK[min(7, round(v / peak * 7))] for v in values)


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at line breaks (then spaces, then anywhere) so no piece exceeds `limit`."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def _sections(text: str) -> list[Block]:
    return [_section(piece) for piece in _split_text(text)]


def person_blocks(
    rank: int, person: PersonEntry, report: Report, timezone: str, hide: bool
) -> list[Block]:
    today = report.as_of
    status = digest.STATUS_LABEL[person.status]
    head = f"*{rank}. {_clean(person.name, hide)}*  {_EMOJI[person.status]} {status}"
    lines = [head, _clean(person.reason, hide)]
    if person.overdue_ratio is not None:
        lines.append(
            f"`{bar(person.overdue_ratio)}` {digest.overdue_phrase(person)} "
            f"({digest.gap_phrase(person)})"
        )
    details = [
        _escape(f"Last contact: {digest.last_contact_phrase(person, today, timezone)}"),
        _escape(f"Next meeting: {digest.next_meeting_phrase(person, today, timezone)}"),
    ]
    birthday = digest.birthday_soon(person, today)
    if birthday is not None:
        details.append(f":birthday: Birthday {_escape(digest.relative_day(birthday, today))}")
    spark = sparkline(person.contact_days_by_month)
    if spark:
        details.append(f"12 months: `{spark}`")
    if person.emails and not hide:
        details.append(f"<mailto:{person.emails[0]}|{_escape(person.emails[0])}>")
    blocks = _sections("\n".join(lines))
    blocks.extend(_context(piece) for piece in _split_text(" · ".join(details)))
    return blocks


def _header(text: str) -> Block:
    if len(text) > MAX_HEADER:
        text = text[: MAX_HEADER - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def blocks_for(
    report: Report, *, timezone: str = "UTC", hide_addresses: bool = False
) -> list[Block]:
    """All blocks of the digest, before splitting into messages."""
    hide = hide_addresses
    title = digest.headline(report, timezone)  # plain_text: no mrkdwn escaping
    blocks: list[Block] = [_header(digest.hide_addresses(title) if hide else title)]
    blocks += _sections(_clean(digest.lead(report, timezone), hide))
    blocks.append(_context(_escape(digest.count_line(report))))
    for rank, person in enumerate(report.people, 1):
        blocks.append({"type": "divider"})
        blocks += person_blocks(rank, person, report, timezone, hide)
    soon = digest.upcoming(report, timezone)
    if soon:
        blocks.append({"type": "divider"})
        items = "\n".join(
            f"{':birthday:' if u.kind == 'birthday' else ':calendar:'} "
            f"{_clean(u.text(timezone), hide)}"
            for u in soon
        )
        blocks += _sections(f"*Upcoming in the next {digest.UPCOMING_DAYS} days*\n{items}")
    return blocks


def messages(
    report: Report, *, timezone: str = "UTC", hide_addresses: bool = False
) -> list[Message]:
    """Block Kit messages of at most MAX_BLOCKS blocks each; a person's blocks stay together."""
    blocks = blocks_for(report, timezone=timezone, hide_addresses=hide_addresses)
    chunks: list[list[Block]] = [[]]
    group: list[Block] = []
    groups: list[list[Block]] = []
    for block in blocks:  # a divider starts a new group (one person, or Upcoming)
        if block["type"] == "divider" and group:
            groups.append(group)
            group = []
        group.append(block)
    if group:
        groups.append(group)
    budget = MAX_BLOCKS - 1  # room for a "continued" context block
    for group in groups:
        if len(chunks[-1]) + len(group) > budget and chunks[-1]:
            chunks.append([])
        for block in group:
            if len(chunks[-1]) >= budget:
                chunks.append([])
            chunks[-1].append(block)
    fallback = digest.headline(report, timezone)
    if hide_addresses:
        fallback = digest.hide_addresses(fallback)
    total = len(chunks)
    out: list[Message] = []
    for index, chunk in enumerate(chunks, 1):
        if total > 1:
            chunk = [*chunk, _context(f"Part {index} of {total}")]
        text = fallback if index == 1 else f"{fallback} (part {index} of {total})"
        out.append({"text": _escape(text), "blocks": chunk})
    return out


def render(report: Report, *, timezone: str = "UTC", hide_addresses: bool = False) -> str:
    return (
        json.dumps(
            messages(report, timezone=timezone, hide_addresses=hide_addresses),
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
