"""The nightly sync: only what was added since the stored historyId.

An unchanged mailbox costs two requests (sendAs.list for aliases + one history.list).
A 404 means the historyId is too old: the caller falls back to a backfill of the window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from connectors.base import Me
from connectors.gmail.client import GmailClient
from connectors.gmail.convert import HEADERS, MESSAGE_FIELDS, to_record
from connectors.gmail.progress import RunProgress
from models.records import Batch, Skip

HISTORY_FIELDS = "history(messagesAdded(message(id,threadId,labelIds))),nextPageToken,historyId"


class HistoryGone(Exception):
    """history.list answered 404: the cursor is older than Gmail keeps history."""


def cursor_for(history_id: int, off: int | None = None) -> str:
    data: dict[str, int] = {"history_id": history_id}
    if off:
        data["off"] = off
    return json.dumps(data, separators=(",", ":"))


def added_since(client: GmailClient, start: int) -> tuple[list[str], int]:
    """Ids of messages added after `start`, oldest first, drafts left out; and the new id."""
    ids: list[str] = []
    seen: set[str] = set()
    token = ""
    newest: int | None = None
    while True:
        request = client.users.history().list(
            userId="me",
            startHistoryId=start,
            historyTypes=["messageAdded"],
            maxResults=500,
            pageToken=token or None,
            fields=HISTORY_FIELDS,
        )
        try:
            page = client.call("history.list", request)
        except Exception as exc:
            if _is_404(exc):
                raise HistoryGone() from exc
            raise
        if newest is None:
            newest = int(page.get("historyId") or start)
        for record in page.get("history") or []:
            for added in record.get("messagesAdded") or []:
                message = added.get("message") or {}
                mid = message.get("id")
                if not mid or mid in seen or "DRAFT" in (message.get("labelIds") or []):
                    continue
                seen.add(mid)
                ids.append(mid)
        token = page.get("nextPageToken") or ""
        if not token:
            return ids, newest if newest is not None else start


def _is_404(exc: Exception) -> bool:
    cause: Any = exc.__cause__ if exc.__cause__ is not None else exc
    resp = getattr(cause, "resp", None)
    return resp is not None and int(getattr(resp, "status", 0)) == 404


def nightly(
    client: GmailClient,
    account: str,
    me: Me,
    aliases: tuple[str, ...],
    start: int,
    off: int,
    batch_size: int,
    progress: RunProgress,
) -> Iterator[Batch]:
    """Fetch the added messages (metadata, batched) and yield them with resumable cursors."""
    ids, newest = added_since(client, start)
    todo = ids[off:]
    step = max(batch_size, 1)
    if not todo:
        yield Batch(cursor=cursor_for(newest), me_aliases=aliases)
        return
    for begin in range(0, len(todo), step):
        chunk = todo[begin : begin + step]
        requests = [
            (
                mid,
                client.users.messages().get(
                    userId="me",
                    id=mid,
                    format="metadata",
                    metadataHeaders=HEADERS,
                    fields=MESSAGE_FIELDS,
                ),
            )
            for mid in chunk
        ]
        got = client.batch("messages.get", requests)
        batch = Batch(me_aliases=aliases)
        for mid in chunk:
            resource = got.get(mid)
            if resource is None:
                continue  # deleted since it arrived
            batch.seen += 1
            record = to_record(resource, account, me)
            if isinstance(record, Skip):
                batch.skipped.append(record)
            else:
                batch.interactions.append(record)
        progress.advance(len(chunk), client.meter)
        done = off + begin + len(chunk)
        batch.cursor = cursor_for(newest) if done >= len(ids) else cursor_for(start, done)
        progress.stored(batch)
        yield batch
