"""The full read of a mailbox (or of a window of it), planned to spend the least quota.

The plan, measured on the bench (bench/gmail_backfill.py), 2026 costs:
1. Conversations first. `threads.list labelIds=SENT` (10 units per 500 threads) names every
   thread you wrote in; one `threads.get format=metadata` (10 units) returns both sides of it,
   however long. That covers all outbound mail and the replies to it.
2. Then inbound mail that can still count. Gmail's category labels are applied whether or not
   the tabs are shown, and only the Primary tab (CATEGORY_PERSONAL) can hold a person writing
   to you: Promotions/Social/Updates/Forums are bulk by DESIGN.md. So
   `messages.list labelIds=CATEGORY_PERSONAL` (5 units per 500 ids) lists the candidates;
   those in SENT threads are already read. The rest are fetched per thread with whichever is
   cheaper for the number of listed messages in it: threads.get (10) vs n × messages.get
   (20 under 2026, 5 legacy). A mailbox without categories (labels.get reports an empty
   CATEGORY_PERSONAL) falls back to listing all mail.
Promotions, notifications and newsletters are never fetched at all: that is where the saving is.

The cursor (connectors.gmail.cursor's BackfillState) carries the historyId seeded from
getProfile *before* listing, so mail arriving during the backfill is caught by the next nightly
sync, plus the position reached, so an interrupted backfill resumes with no gap and no repeat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.base import Me, Window
from connectors.errors import AuthError, FatalError
from connectors.gmail.client import GmailClient
from connectors.gmail.convert import (
    HEADERS,
    MESSAGE_FIELDS,
    SOURCE,
    THREAD_FIELDS,
    in_window,
    to_record,
)
from connectors.gmail.cursor import CURSOR, BackfillState
from connectors.gmail.progress import RunProgress
from models.records import Batch, Skip, Sweep

PAGE = 500
PRIMARY = "CATEGORY_PERSONAL"


def window_ms(window: Window | None) -> tuple[int | None, int | None]:
    if window is None:
        return None, None
    since = int(window.since.timestamp() * 1000) if window.since else None
    until = int(window.until.timestamp() * 1000) if window.until else None
    return since, until


class Backfill:
    """Runs one backfill from a state; yields batches of about `batch_size` messages."""

    def __init__(
        self,
        client: GmailClient,
        account: str,
        me: Me,
        aliases: tuple[str, ...],
        batch_size: int,
        progress: RunProgress,
    ) -> None:
        self.client, self.account, self.me, self.aliases = client, account, me, aliases
        self.batch_size = max(1, batch_size)
        self.progress = progress
        self.pending = Batch(me_aliases=aliases)
        self._round: str | None = None
        self._label = PRIMARY

    # -- output ------------------------------------------------------------------------

    def _take(self, resources: list[dict[str, Any]], window: Window | None) -> None:
        for resource in resources:
            self.pending.seen += 1
            if not in_window(resource, window):
                continue
            record = to_record(resource, self.account, self.me)
            if isinstance(record, Skip):
                self.pending.skipped.append(record)
            else:
                self.pending.interactions.append(record)
        self.progress.advance(len(resources), self.client.meter)

    def _flush(self, cursor: str, force: bool = False) -> Iterator[Batch]:
        size = len(self.pending.interactions) + len(self.pending.skipped)
        if force or size >= self.batch_size:
            self.pending.cursor = cursor
            self.progress.stored(self.pending)
            yield self.pending
            self.pending = Batch(me_aliases=self.aliases, round=self._round)

    # -- the run -----------------------------------------------------------------------

    def run(self, state: BackfillState) -> Iterator[Batch]:
        """The backfill from `state`. A round (every backfill since rounds exist) marks what
        it delivers and its last batch sweeps the window of what counts and was not
        delivered: deleted, spammed or trashed meanwhile — also during a lost history
        window (404), when no messageDeleted record will ever tell."""
        window = state.window()
        self._round = state.round or None
        self.pending.round = self._round
        sent_ids = self._sent_thread_ids()
        if state.phase == "sent":
            yield from self._sent_phase(state, sent_ids, window)
            state.phase, state.page, state.off = "inbound", "", 0
        if state.phase == "inbound":
            yield from self._inbound_phase(state, set(sent_ids), window)
        if self._round is not None:
            since, until = window.since if window else None, window.until if window else None
            self.pending.sweep = Sweep(f"{SOURCE}:{self.account}:", since, until, keep_noise=True)
        yield from self._flush(CURSOR.encode(state.finished()), force=True)

    def _sent_thread_ids(self) -> list[str]:
        """Every thread you wrote in, newest id first (ids are stable as mail arrives)."""
        ids: list[str] = []
        token = ""
        while True:
            request = self.client.users.threads().list(
                userId="me",
                labelIds=["SENT"],
                maxResults=PAGE,
                pageToken=token or None,
                fields="threads(id),nextPageToken",
            )
            page = self.client.call("threads.list", request)
            ids.extend(t["id"] for t in page.get("threads") or [])
            token = page.get("nextPageToken") or ""
            if not token:
                break
        return sorted(set(ids), key=lambda t: (len(t), t), reverse=True)

    def _thread_request(self, tid: str) -> Any:
        return self.client.users.threads().get(
            userId="me", id=tid, format="metadata", metadataHeaders=HEADERS, fields=THREAD_FIELDS
        )

    def _message_request(self, mid: str) -> Any:
        return self.client.users.messages().get(
            userId="me", id=mid, format="metadata", metadataHeaders=HEADERS, fields=MESSAGE_FIELDS
        )

    def _sent_phase(
        self, state: BackfillState, sent_ids: list[str], window: Window | None
    ) -> Iterator[Batch]:
        todo = sent_ids
        if state.after:
            key = (len(state.after), state.after)
            todo = [t for t in sent_ids if (len(t), t) < key]
        step = self.client.per_batch("threads.get")
        self.progress.expect_threads(len(todo))
        for start in range(0, len(todo), step):
            chunk = todo[start : start + step]
            got = self.client.batch("threads.get", [(t, self._thread_request(t)) for t in chunk])
            for tid in chunk:
                thread = got.get(tid)
                self._take(list((thread or {}).get("messages") or []), window)
            self.progress.threads(len(chunk))
            state.after = chunk[-1]
            if start + step >= len(todo):
                state.phase, state.after = "inbound", ""
            yield from self._flush(CURSOR.encode(state))

    def _choose_label(self) -> str:
        """Primary tab if the mailbox has categories, else everything (fallback)."""
        request = self.client.users.labels().get(userId="me", id=PRIMARY, fields="messagesTotal")
        try:
            label = self.client.call("labels.get", request)
        except AuthError:
            raise
        except FatalError:  # 404: a mailbox without categories
            return ""
        return PRIMARY if int(label.get("messagesTotal") or 0) > 0 else ""

    def _inbound_phase(
        self, state: BackfillState, sent: set[str], window: Window | None
    ) -> Iterator[Batch]:
        if state.label is None:
            state.label = self._choose_label()
        self._label = state.label
        thread_cost = self.client.costs["threads.get"]
        message_cost = self.client.costs["messages.get"]
        cache: dict[str, dict[str, Any]] = {}  # listed later, already read with their thread
        while True:
            request = self.client.users.messages().list(
                userId="me",
                labelIds=[state.label] if state.label else None,
                maxResults=PAGE,
                pageToken=state.page or None,
                fields="messages(id,threadId),nextPageToken",
            )
            page = self.client.call("messages.list", request)
            listed = [(m["id"], m["threadId"]) for m in page.get("messages") or []]
            next_token = page.get("nextPageToken") or ""
            todo = [(mid, tid) for mid, tid in listed[state.off :]]
            per_thread: dict[str, int] = {}
            for mid, tid in todo:
                if tid not in sent and mid not in cache:
                    per_thread[tid] = per_thread.get(tid, 0) + 1
            by_thread = {t for t, n in per_thread.items() if thread_cost <= n * message_cost}
            since = window.since.timestamp() * 1000 if window and window.since else None
            index = 0
            while index < len(todo):
                segment = self._segment(todo[index:], sent, cache, by_thread)
                newest = self._fetch_segment(segment, sent, cache, by_thread, window)
                index += len(segment)
                state.off += len(segment)
                if index >= len(todo):
                    state.page, state.off = next_token, 0
                # Listing is newest first: once a run of mail is older than the window, stop.
                if (not state.page and state.off == 0) or (
                    since is not None and newest is not None and newest < since
                ):
                    state.phase = "done"
                yield from self._flush(CURSOR.encode(state))
                if state.phase == "done":
                    return
            if not next_token:
                state.phase = "done"
                return

    def _segment(
        self,
        todo: list[tuple[str, str]],
        sent: set[str],
        cache: dict[str, dict[str, Any]],
        by_thread: set[str],
    ) -> list[tuple[str, str]]:
        """The next run of listed messages whose fetches fill about one API batch."""
        limit = self.client.per_batch("threads.get")
        units: set[str] = set()
        for n, (mid, tid) in enumerate(todo):
            if tid in sent or mid in cache:
                continue
            unit = tid if tid in by_thread else mid
            if unit not in units and len(units) >= limit:
                return todo[:n]
            units.add(unit)
        return todo

    def _fetch_segment(
        self,
        segment: list[tuple[str, str]],
        sent: set[str],
        cache: dict[str, dict[str, Any]],
        by_thread: set[str],
        window: Window | None,
    ) -> int | None:
        """Fetch what the segment needs, emit its messages in listing order; newest date."""
        threads = sorted(
            {t for m, t in segment if t in by_thread and t not in sent and m not in cache}
        )
        singles = [m for m, t in segment if t not in by_thread and t not in sent and m not in cache]
        fetched: dict[str, dict[str, Any]] = {}
        if threads:
            got = self.client.batch("threads.get", [(t, self._thread_request(t)) for t in threads])
            for thread in got.values():
                for message in (thread or {}).get("messages") or []:
                    fetched[message["id"]] = message
        if singles:
            got = self.client.batch(
                "messages.get", [(m, self._message_request(m)) for m in singles]
            )
            fetched.update({m: r for m, r in got.items() if r is not None})
        fetched.update(cache)
        emit: list[dict[str, Any]] = []
        newest: int | None = None
        listed_here = {m for m, _ in segment}
        for mid, tid in segment:
            if tid in sent:
                continue
            resource = fetched.get(mid)
            cache.pop(mid, None)
            if resource is None:
                continue  # deleted since it was listed
            emit.append(resource)
            ms = int(resource.get("internalDate") or 0)
            newest = ms if newest is None else max(newest, ms)
        for mid, resource in fetched.items():
            # Later pages will list these: keep them instead of paying for them again.
            labels = resource.get("labelIds") or []
            if mid not in listed_here and (not self._label or self._label in labels):
                cache.setdefault(mid, resource)
        self._take(emit, window)
        return newest
