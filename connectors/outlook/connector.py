"""Outlook / Microsoft 365 calendars (and, opt-in, mail headers) through Microsoft Graph.

Delegated mode reads your own mailbox (`/me`); app mode reads each configured user's
(`/users/{id}`) with one app token, fetching up to four mailboxes at once while yielding
their pages in a fixed order, so cursors stay reproducible. Each page is one Batch whose
cursor is the state after that page.

Per mailbox the cursor (connectors.outlook.cursor) holds each collection's RoundState, the
calendar's and each mail folder's (app mode: one such state per user); the calendar is read
first, then Sent Items, then Inbox.
Every batch carries its collection's round id and the last batch of an initial round a
Sweep of that collection's key prefix and window (see connectors.outlook.delta).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import Me, Window, window_bounds, window_note
from connectors.outlook.auth import TokenProvider
from connectors.outlook.cursor import CURSOR
from connectors.outlook.delta import Page, RoundState, calendar_pages, day_floor
from connectors.outlook.http import MAX_IN_FLIGHT, CASession, GraphClient, limiter_for
from connectors.outlook.mail import (
    FOLDERS,
    mail_pages,
    mail_prefix,
    message_interaction,
    message_key,
)
from connectors.outlook.mapping import (
    BadEvent,
    calendar_prefix,
    event_interaction,
    event_key,
    legacy_prefix,
)
from connectors.outlook.settings import OutlookAccount
from models.identity import normalize_email
from models.records import Batch, Skip, Sweep

_Unit = tuple[str, Page]  # ("calendar" | a mail folder segment, one page)
_DONE = object()


class OutlookConnector:
    """Yields one Batch per Graph page; see connectors.outlook.delta for the rounds."""

    def __init__(
        self,
        account: OutlookAccount,
        me: Me,
        batch_size: int = 500,
        *,
        session: requests.Session | None = None,
        now: Callable[[], datetime] | None = None,
        backoff_base: float = 1.0,
        max_attempts: int = 8,
    ) -> None:
        self.config = account
        self.account = account.name
        self.me = me
        self.batch_size = batch_size
        self.session = session or CASession()
        self.now = now or (lambda: datetime.now(UTC))
        self.tokens = TokenProvider(account, self.session)
        self.client = GraphClient(
            account.name,
            self.session,
            self.tokens,
            limiter_for(account.client_id),
            max_attempts=max_attempts,
            backoff_base=backoff_base,
        )

    # -- public ---------------------------------------------------------------------

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        if window is not None:
            yield from self._window_batches(cursor is not None, window)
            return
        saved = CURSOR.decode(cursor, self.account) or {}
        if self.config.mode == "app":
            yield from self._org_batches(saved, window)
        else:
            yield from self._my_batches(saved, window)

    def _window_batches(self, had_cursor: bool, window: Window) -> Iterator[Batch]:
        """A backfill of a window: fresh rounds over it, swept, whose delta links stay bound
        to that window, so none of it becomes the account's cursor (see connectors.base)."""
        note = window_note(
            had_cursor,
            "Graph delta links are bound to the window they were made for, so this "
            "re-read's cannot carry over to the nightly sync",
            f"reads its own window ({self.config.lookback_days} days back) in full",
        )
        read = self._org_batches if self.config.mode == "app" else self._my_batches
        for number, batch in enumerate(read({}, window)):
            batch.cursor = None
            if number == 0:
                batch.notes[note] = 1
            yield batch

    # -- one mailbox ----------------------------------------------------------------

    def _units(self, base: str, saved: dict[str, Any], window: Window | None) -> Iterator[_Unit]:
        """The calendar's pages, then (opt-in) each mail folder's, for `/me` or `/users/{id}`."""
        now = self.now()
        start, end = window_bounds(
            window, now, self.config.lookback_days, self.config.lookahead_days
        )
        wanted = (day_floor(start), day_floor(end)) if window is None else (start, end)
        fresh = window is not None
        for page in calendar_pages(
            self.client,
            graph_endpoint=self.config.graph_endpoint,
            base=base,
            state=RoundState.from_json(saved.get("calendar")),
            wanted=wanted,
            fresh=fresh,
            page_size=self.batch_size,
        ):
            yield "calendar", page
        if not self.config.include_mail:
            return
        if window is None:
            since: datetime | None = day_floor(now - timedelta(days=self.config.lookback_days))
            until: datetime | None = None
        else:
            since, until = window.since, window.until
        folders = saved.get("mail") if isinstance(saved.get("mail"), dict) else {}
        assert isinstance(folders, dict)
        for folder, segment in FOLDERS:
            for page in mail_pages(
                self.client,
                graph_endpoint=self.config.graph_endpoint,
                base=base,
                folder=folder,
                state=RoundState.from_json(folders.get(segment)),
                since=since,
                until=until,
                fresh=fresh,
                page_size=self.batch_size,
                store_subjects=self.me.store_subjects,
            ):
                yield segment, page

    @staticmethod
    def _mailbox_state(raw: Any) -> dict[str, Any]:
        """A mailbox's saved state (a cursor from before mail: see connectors.outlook.cursor)."""
        return dict(raw) if isinstance(raw, dict) else {}

    @staticmethod
    def _advance(state: dict[str, Any], slot: str, page: Page) -> None:
        if slot == "calendar":
            state["calendar"] = page.state.to_json()
        else:
            mail = state.get("mail")
            state["mail"] = {**(mail if isinstance(mail, dict) else {}), slot: page.state.to_json()}

    # -- delegated ------------------------------------------------------------------

    def _my_batches(self, saved: dict[str, Any], window: Window | None) -> Iterator[Batch]:
        me, aliases = self._whoami()
        state = self._mailbox_state(saved)
        for slot, page in self._units("/me", state, window):
            batch = self._batch(slot, page, me, None, window)
            self._advance(state, slot, page)
            batch.cursor = CURSOR.encode(state)
            batch.me_aliases = aliases
            yield batch

    def _whoami(self) -> tuple[Me, tuple[str, ...]]:
        """Your own addresses as Graph knows them: never a participant, always you."""
        url = f"{self.config.graph_endpoint.rstrip('/')}/me?$select=mail,userPrincipalName"
        profile = self.client.get_json(url)
        found = []
        for field in ("mail", "userPrincipalName"):
            value = normalize_email(str(profile.get(field) or ""))
            if value:
                found.append(value)
        aliases = tuple(sorted(set(found) - self.me.emails))
        return self.me.with_aliases(aliases), aliases

    # -- app (organisation) ---------------------------------------------------------

    def _org_batches(self, saved: dict[str, Any], window: Window | None) -> Iterator[Batch]:
        users = [u.lower() for u in self.config.users]
        raw = saved.get("users")
        prior: dict[str, Any] = raw if isinstance(raw, dict) else {}
        states: dict[str, dict[str, Any]] = {
            u: self._mailbox_state(prior.get(u)) for u in users if prior.get(u) is not None
        }
        initial = {u: dict(states.get(u) or {}) for u in users}  # read by the fetch threads
        stop = threading.Event()
        queues: dict[str, queue.Queue[Any]] = {u: queue.Queue(maxsize=2) for u in users}

        def put(q: queue.Queue[Any], item: Any) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def fetch(user: str) -> None:
            q = queues[user]
            try:
                base = f"/users/{quote(user, safe='@.')}"
                for unit in self._units(base, initial[user], window):
                    if not put(q, unit):
                        return
                put(q, _DONE)
            except BaseException as exc:  # handed to the consumer, raised there
                put(q, exc)

        pool = ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT, thread_name_prefix="outlook")
        try:
            for user in users:
                pool.submit(fetch, user)
            for user in users:
                user_me = self.me.with_aliases([a for a in [normalize_email(user)] if a])
                state = states.setdefault(user, {})
                while True:
                    item = queues[user].get()
                    if item is _DONE:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    slot, page = item
                    batch = self._batch(slot, page, user_me, user, window)
                    self._advance(state, slot, page)
                    batch.cursor = CURSOR.encode({"users": states})
                    yield batch
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    # -- shared ---------------------------------------------------------------------

    def _batch(
        self, slot: str, page: Page, me: Me, user: str | None, window: Window | None
    ) -> Batch:
        if slot == "calendar":
            batch = self._calendar_batch(page.items, me, user)
            prefix = (legacy_prefix if page.legacy else calendar_prefix)(self.account, user)
        else:
            batch = self._mail_batch(page.items, me, user, slot, window)
            prefix = mail_prefix(self.account, slot, user)
        batch.round = page.round
        if page.sweep is not None:
            batch.sweep = Sweep(prefix, page.sweep[0], page.sweep[1])
        return batch

    def _calendar_batch(self, items: list[dict[str, Any]], me: Me, user: str | None) -> Batch:
        batch = Batch(seen=len(items))
        for event in items:
            event_id = event.get("id") if isinstance(event, dict) else None
            if not isinstance(event, dict) or not isinstance(event_id, str):
                batch.skipped.append(Skip(f"outlook:{self.account}:?", "entry without an id"))
                continue
            if "@removed" in event:
                batch.removed_keys.append(event_key(self.account, event_id, user))
                continue
            try:
                record = event_interaction(event, account=self.account, me=me, user=user)
            except BadEvent as exc:
                where = f"outlook:{self.account}:{user + ':' if user else ''}{event_id}"
                batch.skipped.append(Skip(where, str(exc)))
                continue
            if record is not None:
                batch.interactions.append(record)
        return batch

    def _mail_batch(
        self,
        items: list[dict[str, Any]],
        me: Me,
        user: str | None,
        segment: str,
        window: Window | None,
    ) -> Batch:
        batch = Batch(seen=len(items))
        for message in items:
            message_id = message.get("id") if isinstance(message, dict) else None
            if not isinstance(message, dict) or not isinstance(message_id, str):
                where = f"{mail_prefix(self.account, segment, user)}?"
                batch.skipped.append(Skip(where, "message without an id"))
                continue
            key = message_key(self.account, segment, message_id, user)
            if "@removed" in message:
                batch.removed_keys.append(key)
                continue
            record = message_interaction(
                message, key=key, account=self.account, me=me, sent=segment == "sent"
            )
            if isinstance(record, Skip):
                batch.skipped.append(record)
            elif window is None or window.contains(record.occurred_at):
                batch.interactions.append(record)
        return batch
