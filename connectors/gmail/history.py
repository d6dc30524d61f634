"""The nightly sync: what changed since the stored historyId.

An unchanged mailbox costs two requests (sendAs.list for aliases + one history.list).
A 404 means the historyId is too old: the caller falls back to a backfill of the window.

Four history types are read:
- messageAdded: new mail, fetched (metadata) and converted as in a backfill.
- messageDeleted: gone for good, sent as `Batch.removed_keys` in the run's last batch (after
  every upsert of the run, so a message added and deleted in one interval ends up absent).
- labelAdded / labelRemoved: only a change of a label the shared rules read as "not a
  conversation" (TRASH, SPAM, the bulk category tabs; connectors.common.mail.BULK_LABELS) can flip
  whether a message counts. Such a message is fetched again (metadata) and re-converted, so
  the upsert carries the new `bulk` flag; moving back out of Trash/Spam flips it back.

Cost of the label events: the history pages themselves are cheap (2 units per 500 records;
reading mail, archiving, starring add records too, ignored here without a fetch). Each
message whose bulk labels changed costs one messages.get (20 units under the 2026 costs, 5
legacy; 100 to an HTTP batch), the same as a new message. Those come from user actions
(trashing, reporting spam, moving between tabs), a handful a day. Re-fetching is the cheapest
*correct* way: the store upserts whole records, and the labelIds inside a history record are
not documented as the labels at that record, so deciding "it was bulk already" from them could
miss a flip. A trashed message we never stored (a newsletter) costs a fetch and is stored
flagged bulk, which does not count.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Me
from connectors.common.mail import BULK_LABELS
from connectors.gmail.client import GmailClient
from connectors.gmail.convert import HEADERS, MESSAGE_FIELDS, SOURCE, to_record
from connectors.gmail.cursor import CURSOR, Nightly
from connectors.gmail.progress import RunProgress
from models.records import Batch, Skip

HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
_CHANGED = "message(id,labelIds),labelIds"
HISTORY_FIELDS = (
    "history(messagesAdded(message(id,threadId,labelIds)),messagesDeleted(message(id)),"
    f"labelsAdded({_CHANGED}),labelsRemoved({_CHANGED})),nextPageToken,historyId"
)


class HistoryGone(Exception):
    """history.list answered 404: the cursor is older than Gmail keeps history."""


@dataclass
class Changes:
    """What history.list reported since a historyId.

    `fetch` is in order of first appearance, so re-listing from the same start (a resumed
    run) gives the same prefix and a stored offset into it stays valid; ids deleted later are
    kept in it (and not fetched) for the same reason."""

    fetch: list[str] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    newest: int = 0


def changes_since(client: GmailClient, start: int) -> Changes:
    """Every relevant change after `start`: messages to (re)fetch, messages deleted."""
    changes = Changes(newest=start)
    listed: set[str] = set()
    token = ""
    first = True

    def want(mid: Any) -> None:
        if mid and mid not in listed:
            listed.add(mid)
            changes.fetch.append(str(mid))

    while True:
        request = client.users.history().list(
            userId="me",
            startHistoryId=start,
            historyTypes=HISTORY_TYPES,
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
        if first:
            changes.newest = int(page.get("historyId") or start)
            first = False
        for record in page.get("history") or []:
            for added in record.get("messagesAdded") or []:
                message = added.get("message") or {}
                if "DRAFT" not in (message.get("labelIds") or []):
                    want(message.get("id"))
            for kind in ("labelsAdded", "labelsRemoved"):
                for change in record.get(kind) or []:
                    if BULK_LABELS.intersection(change.get("labelIds") or []):
                        want((change.get("message") or {}).get("id"))
            for deleted in record.get("messagesDeleted") or []:
                mid = (deleted.get("message") or {}).get("id")
                if mid:
                    changes.deleted.add(str(mid))
        token = page.get("nextPageToken") or ""
        if not token:
            return changes


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
    """Fetch changed messages (metadata, batched), yield them with resumable cursors; the
    last batch also carries the deletions."""
    changes = changes_since(client, start)
    ids = changes.fetch
    newest = changes.newest
    removed = sorted(f"{SOURCE}:{account}:{mid}" for mid in changes.deleted)
    todo = ids[off:]
    step = max(batch_size, 1)
    if not todo:
        yield Batch(cursor=CURSOR.encode(Nightly(newest)), me_aliases=aliases, removed_keys=removed)
        return
    for begin in range(0, len(todo), step):
        chunk = todo[begin : begin + step]
        wanted = [mid for mid in chunk if mid not in changes.deleted]
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
            for mid in wanted
        ]
        got = client.batch("messages.get", requests) if requests else {}
        batch = Batch(me_aliases=aliases)
        for mid in wanted:
            resource = got.get(mid)
            if resource is None:
                continue  # deleted since it was listed
            batch.seen += 1
            record = to_record(resource, account, me)
            if isinstance(record, Skip):
                batch.skipped.append(record)
            else:
                batch.interactions.append(record)
        progress.advance(len(chunk), client.meter)
        done = off + begin + len(chunk)
        if done >= len(ids):
            batch.cursor = CURSOR.encode(Nightly(newest))
            batch.removed_keys = removed
        else:
            batch.cursor = CURSOR.encode(Nightly(start, done))
        progress.stored(batch)
        yield batch
