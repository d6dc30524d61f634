"""One Gmail API message resource → an Interaction, through the shared mail rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import Me, Window
from connectors.common.mail import MAIL_HEADERS, mail_interaction
from models.records import Interaction, Skip

SOURCE = "gmail"
# The headers mail_interaction reads; `metadataHeaders` asks Gmail for exactly these.
HEADERS = list(MAIL_HEADERS)
MESSAGE_FIELDS = "id,threadId,labelIds,internalDate,payload/headers"
THREAD_FIELDS = "id,messages(" + MESSAGE_FIELDS + ")"


def internal_ms(resource: dict[str, Any]) -> int | None:
    try:
        return int(resource["internalDate"])
    except (KeyError, TypeError, ValueError):
        return None


def in_window(resource: dict[str, Any], window: Window | None) -> bool:
    ms = internal_ms(resource)
    if ms is None or window is None:
        return True  # undated: let the converter name it as a Skip
    return window.contains(datetime.fromtimestamp(ms / 1000, UTC))


def to_record(resource: dict[str, Any], account: str, me: Me) -> Interaction | Skip:
    """Headers lower-cased (repeats joined), labels = labelIds, time = internalDate."""
    mid = str(resource.get("id") or "?")
    key = f"{SOURCE}:{account}:{mid}"
    ms = internal_ms(resource)
    if ms is None:
        return Skip(key, "message has no usable internalDate")
    headers: dict[str, str] = {}
    for header in (resource.get("payload") or {}).get("headers") or []:
        name = str(header.get("name", "")).lower()
        value = str(header.get("value", ""))
        if name:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return mail_interaction(
        key=key,
        source=SOURCE,
        account=account,
        headers=headers,
        occurred_at=datetime.fromtimestamp(ms / 1000, UTC),
        me=me,
        labels=resource.get("labelIds") or [],
        thread_id=resource.get("threadId"),
        where=key,
    )
