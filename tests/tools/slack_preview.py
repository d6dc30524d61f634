"""Slack Block Kit messages as a plain HTML page, close enough to Slack's own look to judge a
digest by eye (headless Chromium screenshots it); not a product feature.

    python -m tests.tools.slack_preview messages.json > preview.html
"""

from __future__ import annotations

import html
import json
import re
import sys
from typing import Any

_LINK = re.compile(r"&lt;([^|&]+)\|([^&]+)&gt;")
_BOLD = re.compile(r"\*([^*]+)\*")
_CODE = re.compile(r"`([^`]+)`")
_EMOJI = {
    ":speech_balloon:": "💬",
    ":hourglass_flowing_sand:": "⏳",
    ":seedling:": "🌱",
    ":birthday:": "🎂",
    ":wave:": "👋",
    ":calendar:": "📅",
}


def mrkdwn(text: str) -> str:
    out = html.escape(html.unescape(text), quote=False)
    out = _LINK.sub(r'<a href="\1">\2</a>', out)
    out = _BOLD.sub(r"<b>\1</b>", out)
    out = _CODE.sub(r"<code>\1</code>", out)
    for code, emoji in _EMOJI.items():
        out = out.replace(code, emoji)
    return out.replace("\n", "<br>")


def block_html(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "header":
        return f"<h3>{html.escape(block['text']['text'])}</h3>"
    if kind == "divider":
        return "<hr>"
    if kind == "context":
        return "".join(f'<div class="ctx">{mrkdwn(e["text"])}</div>' for e in block["elements"])
    return f'<div class="sec">{mrkdwn(block["text"]["text"])}</div>'


def page(messages: list[dict[str, Any]]) -> str:
    body = "".join(
        '<div class="msg"><div class="who">keepwarm <span>APP</span></div>'
        + "".join(block_html(b) for b in m["blocks"])
        + "</div>"
        for m in messages
    )
    style = (
        "body{font-family:Lato,Helvetica,Arial,sans-serif;font-size:15px;color:#1d1c1d;"
        "margin:0;padding:12px;background:#fff}.msg{max-width:760px;padding:8px 0}"
        ".who{font-weight:900}.who span{font-size:10px;background:#ddd;padding:1px 3px}"
        "h3{font-size:18px;margin:6px 0}.sec{margin:6px 0;line-height:1.45}"
        ".ctx{font-size:12px;color:#616061;margin:2px 0}hr{border:0;border-top:1px solid #ddd}"
        "code{font-size:12px;background:#f6f6f6;border:1px solid #ddd;color:#e01e5a}"
        "a{color:#1264a3;text-decoration:none}"
    )
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{style}</style></head>" + (
        f"<body>{body}</body></html>"
    )


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as source:
        sys.stdout.write(page(json.load(source)))
