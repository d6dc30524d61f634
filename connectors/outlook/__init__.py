"""Outlook / Microsoft 365 calendars through Microsoft Graph.

Delegated mode reads your own calendar (`/me`); app mode reads each configured user's
(`/users/{id}`) with one app token, fetching up to four calendars at once while yielding
their pages in a fixed order, so cursors stay reproducible. Each page is one Batch whose
cursor is the state after that page.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import Me, Window, window_bounds
from connectors.outlook.auth import TokenProvider
from connectors.outlook.calendar import CalendarState, calendar_pages, day_floor
from connectors.outlook.http import MAX_IN_FLIGHT, CASession, GraphClient, limiter_for
from connectors.outlook.mapping import BadEvent, event_interaction, event_key
from models.config import OutlookAccount
from models.identity import normalize_email
from models.records import Batch, Skip

_Page = tuple[list[dict[str, Any]], CalendarState]
_DONE = object()


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


class OutlookConnector:
    """Yields one Batch per Graph page; see connectors.outlook.calendar for the rounds."""

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
        saved = self._load(cursor)
        start, end = window_bounds(
            window, self.now(), self.config.lookback_days, self.config.lookahead_days
        )
        wanted = (day_floor(start), day_floor(end)) if window is None else (start, end)
        fresh = window is not None
        if self.config.mode == "app":
            yield from self._org_batches(saved, wanted, fresh)
        else:
            yield from self._my_batches(saved, wanted, fresh)

    # -- delegated ------------------------------------------------------------------

    def _my_batches(
        self, saved: dict[str, Any], wanted: tuple[datetime, datetime], fresh: bool
    ) -> Iterator[Batch]:
        me, aliases = self._whoami()
        pages = calendar_pages(
            self.client,
            graph_endpoint=self.config.graph_endpoint,
            base="/me",
            state=CalendarState.from_json(saved),
            wanted=wanted,
            fresh=fresh,
            page_size=self.batch_size,
        )
        for items, state in pages:
            batch = self._batch(items, me, None)
            batch.cursor = _dumps(state.to_json())
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

    def _org_batches(
        self, saved: dict[str, Any], wanted: tuple[datetime, datetime], fresh: bool
    ) -> Iterator[Batch]:
        users = [u.lower() for u in self.config.users]
        raw = saved.get("users")
        prior: dict[str, Any] = raw if isinstance(raw, dict) else {}
        states: dict[str, Any] = {u: prior.get(u) for u in users if prior.get(u) is not None}
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
                for page in calendar_pages(
                    self.client,
                    graph_endpoint=self.config.graph_endpoint,
                    base=f"/users/{quote(user, safe='@.')}",
                    state=CalendarState.from_json(states.get(user)),
                    wanted=wanted,
                    fresh=fresh,
                    page_size=self.batch_size,
                ):
                    if not put(q, page):
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
                while True:
                    item = queues[user].get()
                    if item is _DONE:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    items, state = item
                    states[user] = state.to_json()
                    batch = self._batch(items, user_me, user)
                    batch.cursor = _dumps({"users": states})
                    yield batch
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    # -- shared ---------------------------------------------------------------------

    def _batch(self, items: list[dict[str, Any]], me: Me, user: str | None) -> Batch:
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

    @staticmethod
    def _load(cursor: str | None) -> dict[str, Any]:
        """An unreadable cursor means a fresh round: re-reading is safe (upsert by key)."""
        if not cursor:
            return {}
        try:
            data = json.loads(cursor)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def build(account: OutlookAccount, me: Me) -> OutlookConnector:
    return OutlookConnector(account, me)
