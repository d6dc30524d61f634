"""Outlook mail (opt-in, `include_mail = true`): Sent Items and Inbox headers through Graph delta.

Each folder is its own delta collection (`/mailFolders/{sentitems,inbox}/messages/delta`) with
its own round, read with a `$select` of header fields only — never a body. Graph cannot select
`internetMessageHeaders` on delta, so List-Id / List-Unsubscribe / Precedence are unknown here;
the bulk signal is Focused Inbox's `inferenceClassification == "other"`, passed to the shared
rules as the label `OTHER_LABEL` (one of connectors.common.mail.BULK_LABELS, as Gmail's non-Primary
tabs are). Sent Items carry the `SENT` label, drafts `DRAFT` (skipped by the shared rules).
Every message becomes an Interaction only through connectors.common.mail.mail_interaction, so
Outlook, Gmail and mbox apply the same contact rules.

Keys: `outlook:<account>[:<user>]:mail:<sent|inbox>:<message id>`. The folder segment gives
each folder's initial round a sweep prefix of its own (the two folders are separate delta
rounds; one folder's sweep must not delete the other's messages).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from connectors.base import Me
from connectors.common.mail import mail_interaction
from connectors.outlook.delta import Page, RoundState, delta_pages, fmt, parse
from connectors.outlook.http import GraphClient
from connectors.outlook.mapping import mailbox_prefix
from models.records import Interaction, Skip

# (Graph well-known folder name, key segment); Sent Items first: outbound mail is the stronger
# signal and the cheaper folder.
FOLDERS = (("sentitems", "sent"), ("inbox", "inbox"))
OTHER_LABEL = "CATEGORY_PROMOTIONS"
HEADER_FIELDS = (
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "bccRecipients",
    "receivedDateTime",
    "sentDateTime",
    "internetMessageId",
    "conversationId",
    "inferenceClassification",
    "isDraft",
)


def mail_prefix(account: str, segment: str, user: str | None = None) -> str:
    return f"{mailbox_prefix(account, user)}mail:{segment}:"


def message_key(account: str, segment: str, message_id: str, user: str | None = None) -> str:
    return f"{mail_prefix(account, segment, user)}{message_id}"


def select_fields(store_subjects: bool) -> list[str]:
    return [*HEADER_FIELDS, "subject"] if store_subjects else list(HEADER_FIELDS)


def _address(entry: Any) -> str:
    """A Graph recipient → an RFC 5322 mailbox (`"Name" <addr>`), "" when it has no address."""
    inner = entry.get("emailAddress") if isinstance(entry, Mapping) else None
    if not isinstance(inner, Mapping):
        return ""
    address = str(inner.get("address") or "").strip()
    if not address or "@" not in address:
        return ""
    name = str(inner.get("name") or "").strip()
    if not name or name.lower() == address.lower():
        return f"<{address}>"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'


def _address_list(entries: Any) -> str:
    if not isinstance(entries, list):
        return ""
    return ", ".join(a for a in (_address(e) for e in entries) if a)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def graph_headers(message: Mapping[str, Any], store_subjects: bool) -> dict[str, str]:
    """The lower-cased header dict connectors.common.mail expects, built from Graph's fields."""
    headers: dict[str, str] = {}
    sender = _address(message.get("from")) or _address(message.get("sender"))
    if sender:
        headers["from"] = sender
    for name, field in (("to", "toRecipients"), ("cc", "ccRecipients"), ("bcc", "bccRecipients")):
        value = _address_list(message.get(field))
        if value:
            headers[name] = value
    message_id = message.get("internetMessageId")
    if isinstance(message_id, str) and message_id:
        headers["message-id"] = message_id
    subject = message.get("subject")
    if store_subjects and isinstance(subject, str):
        headers["subject"] = subject
    return headers


def message_interaction(
    message: Mapping[str, Any],
    *,
    key: str,
    account: str,
    me: Me,
    sent: bool,
) -> Interaction | Skip:
    """One Graph message (header fields only) → the shared mail rules."""
    labels: set[str] = set()
    if sent:
        labels.add("SENT")
    elif str(message.get("inferenceClassification") or "").lower() == "other":
        labels.add(OTHER_LABEL)
    if message.get("isDraft") is True:
        labels.add("DRAFT")
    first, second = ("sentDateTime", "receivedDateTime")
    if not sent:
        first, second = second, first
    occurred_at = _time(message.get(first)) or _time(message.get(second))
    if occurred_at is None:
        return Skip(key, f"{first} missing or unreadable")
    conversation = message.get("conversationId")
    return mail_interaction(
        key=key,
        source="outlook",
        account=account,
        headers=graph_headers(message, me.store_subjects),
        occurred_at=occurred_at,
        me=me,
        labels=labels,
        thread_id=conversation if isinstance(conversation, str) and conversation else None,
        where=key,
    )


def mail_pages(
    client: GraphClient,
    *,
    graph_endpoint: str,
    base: str,
    folder: str,
    state: RoundState | None,
    since: datetime | None,
    until: datetime | None,
    fresh: bool,
    page_size: int,
    store_subjects: bool,
) -> Iterator[Page]:
    """One folder's delta pages. The round reads messages received since `since` (Graph's
    only delta filter is `receivedDateTime ge`); `until` bounds a backfill client-side.
    A round with an upper bound (a backfill) is never replayed by a nightly run: the next
    one starts an initial round, so nothing after the backfill's end is missed."""
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    select = ",".join(select_fields(store_subjects))

    def first_url(window: tuple[str, str]) -> str:
        query = {"$select": select}
        if window[0]:
            query["$filter"] = f"receivedDateTime ge {window[0]}"
        return f"{graph_endpoint.rstrip('/')}{base}/mailFolders/{folder}/messages/delta?" + (
            urlencode(query)
        )

    window = (fmt(since), fmt(until))
    restart = fresh
    if state is not None and not state.next and not fresh:
        start = parse(state.window[0]) if state.window[0] else None
        bounded = bool(state.window[1])
        too_late = start is not None and (since is None or start > since)
        restart = bounded or too_late
    if state is not None and state.next and not fresh:
        window = state.window
    yield from delta_pages(
        client,
        graph_endpoint=graph_endpoint,
        first_url=first_url,
        state=state,
        window=window,
        restart=restart,
        headers=headers,
    )
