"""The digest as Slack Block Kit messages (slack_sdk's block models), within Slack's limits.

Slack rejects a message with more than 50 blocks or a text field over 3,000 characters
(a header over 150), so the digest is split into several messages — never truncated —
each with a plain `text` fallback for notifications. `hide_addresses` is for shared
channels: email addresses (and any subject) never leave the store.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from delivery.render import words
from models.report import Report

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER = 150
_EMOJI = {
    "reply": ":speech_balloon:",
    "drifting": ":hourglass_flowing_sand:",
    "fading": ":fallen_leaf:",
    "new": ":seedling:",
    "birthday": ":birthday:",
    "reconnect": ":wave:",
}

Message = dict[str, Any]


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clean(text: str, hide: bool) -> str:
    return _escape(words.hide_addresses(text) if hide else text)


def _section(text: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


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


def _header(text: str) -> Block:
    if len(text) > MAX_HEADER:
        text = text[: MAX_HEADER - 1] + "…"
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def card_blocks(card: words.Card, report: Report, timezone: str, hide: bool) -> list[Block]:
    name = f"*{_clean(card.item.name, hide)}*"
    lines = [f"{name} — {_clean(card.item.reason, hide)}"]
    details = [
        _clean(f"{label}: {value}", hide)
        for label, value in words.facts(card, report.as_of, timezone)
    ]
    if card.person is not None and card.item.kind in ("drifting", "fading"):
        spark = words.sparkline(list(card.person.contact_days_by_month))
        if spark:
            details.append(f"past year `{spark}`")
    if card.email and not hide:
        details.append(f"<mailto:{card.email}|{_escape(card.action)}>")
    blocks = _sections("\n".join(lines))
    if details:
        blocks.extend(_context(piece) for piece in _split_text(" · ".join(details)))
    return blocks


def blocks_for(
    report: Report, *, timezone: str = "UTC", hide_addresses: bool = False
) -> list[Block]:
    """All blocks of the digest, before splitting into messages."""
    hide = hide_addresses
    title = words.headline(report)  # plain_text: no mrkdwn escaping
    blocks: list[Block] = [_header(words.hide_addresses(title) if hide else title)]
    summary = f"{words.long_day(report.as_of)} · {words.summary_line(report)}"
    blocks.append(_context(_escape(summary)))
    for section in words.sections(report):
        blocks.append(DividerBlock())
        blocks += _sections(f"{_EMOJI[section.kind]} *{_escape(section.title)}*")
        for card in section.cards:
            blocks += card_blocks(card, report, timezone, hide)
    if not report.digest.items:
        blocks += _sections("Nobody needs a message from you today.")
    soon = words.upcoming(report, timezone)
    if soon:
        blocks.append(DividerBlock())
        items = "\n".join(
            f"{':birthday:' if u.kind == 'birthday' else ':calendar:'} "
            f"{_clean(u.text(timezone), hide)}"
            for u in soon
        )
        blocks += _sections(f"*Coming up in the next {words.UPCOMING_DAYS} days*\n{items}")
    return blocks


def messages(
    report: Report, *, timezone: str = "UTC", hide_addresses: bool = False
) -> list[Message]:
    """Block Kit messages of at most MAX_BLOCKS blocks each; a person's blocks stay together."""
    blocks = blocks_for(report, timezone=timezone, hide_addresses=hide_addresses)
    chunks: list[list[Block]] = [[]]
    group: list[Block] = []
    groups: list[list[Block]] = []
    for block in blocks:  # a divider starts a new group (one section, or Coming up)
        if block.type == "divider" and group:
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
    fallback = words.headline(report)
    if hide_addresses:
        fallback = words.hide_addresses(fallback)
    total = len(chunks)
    out: list[Message] = []
    for index, chunk in enumerate(chunks, 1):
        if total > 1:
            chunk = [*chunk, _context(f"Part {index} of {total}")]
        text = fallback if index == 1 else f"{fallback} (part {index} of {total})"
        out.append({"text": _escape(text), "blocks": [block.to_dict() for block in chunk]})
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
