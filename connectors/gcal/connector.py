"""Google Calendar: each configured calendar read as a round — a full read of the window, then
changes by `syncToken` — yielding one Batch per `batch_size` events of a page.

Per calendar (state in connectors.gcal.cursor):
- first run, a backfill window, a 410 Gone (token expired) or a lookback that grew: a full
  round — `events.list(singleEvents=true, maxResults=page_size, timeMin, timeMax)` over the
  window, paged; its last page's `nextSyncToken` is kept, and its last batch carries a Sweep
  of the window under the calendar's key prefix (what the round did not deliver is gone);
  every batch carries the round's id, kept in the cursor, so a resumed round sweeps right;
- every later run: `events.list(syncToken=…)` — no timeMin/timeMax/q/orderBy, as Google
  requires — changed events come back, cancelled ones as `status: cancelled` → removed keys;
  an unchanged calendar costs one request;
- when today's window end has moved `DRIFT` past the round's (the lookahead slid), events
  that were beyond it and never changed are read once with a bounded listing of the gap.
Calendars are resolved from the `calendars` setting with `calendarList.list` once (again only
when the setting changes, or every run for "*", to see calendars you created since).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Me, Window, window_bounds
from connectors.common.google import GoogleApi, GoogleReader, SyncTokenGone, new_round
from connectors.errors import FatalError
from connectors.gcal.cursor import CURSOR, CalState, GcalState
from connectors.gcal.mapping import (
    BadEvent,
    calendar_prefix,
    event_interaction,
    event_key,
    not_a_meeting,
)
from connectors.gcal.settings import GcalAccount
from models.identity import normalize_email
from models.records import Batch, Skip, Sweep

DRIFT = timedelta(days=7)
_FMT = "%Y-%m-%dT%H:%M:%SZ"
EVENT_FIELDS = (
    "items(id,status,summary,start,attendees,attendeesOmitted,organizer,eventType,"
    "recurringEventId,iCalUID),nextPageToken,nextSyncToken"
)
LIST_FIELDS = "items(id,summary,summaryOverride,primary,accessRole,deleted),nextPageToken"
MAX_RESTARTS = 3


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FMT)


def parse(text: str) -> datetime:
    return datetime.strptime(text, _FMT).replace(tzinfo=UTC)


def day_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class GcalConnector(GoogleReader[GcalAccount]):
    """See the module docstring; `api` may be injected (tests), else built from the token."""

    API_NAME = "calendar"
    API_VERSION = "v3"
    WHAT = "Google Calendar"

    def __init__(
        self,
        account: GcalAccount,
        me: Me,
        *,
        batch_size: int = 500,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 8,
    ) -> None:
        super().__init__(account, me, batch_size=batch_size, sleep=sleep, attempts=attempts)
        self.now = now

    # -- public ---------------------------------------------------------------------------

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        saved = CURSOR.decode(cursor, self.account)
        api = self._api()
        state = self._resolve(api, saved)
        me = self.me.with_aliases([state.me]) if state.me else self.me
        wanted = self._wanted(window)
        try:
            for cal_id in list(state.ids):
                yield from self._calendar(api, state, cal_id, wanted, window is not None, me)
        finally:
            api.save_if_refreshed()

    def _wanted(self, window: Window | None) -> tuple[datetime, datetime]:
        start, end = window_bounds(
            window, self.now(), self.config.lookback_days, self.config.lookahead_days
        )
        if window is None:
            return day_floor(start), day_floor(end)
        return start.replace(microsecond=0), end.replace(microsecond=0)

    # -- calendars --------------------------------------------------------------------------

    def _resolve(self, api: GoogleApi, saved: GcalState | None) -> GcalState:
        spec = list(self.config.calendars)
        if saved is not None and saved.spec == spec and saved.ids and "*" not in spec:
            return saved
        entries = self._calendar_list(api)
        ids: list[str] = []
        for wanted in spec:
            ids.extend(self._match(wanted, entries))
        ids = list(dict.fromkeys(ids))
        primary = next((e for e in entries if e.get("primary")), None)
        me = ""
        if primary is not None:
            address = normalize_email(str(primary.get("id") or ""))
            if address and address not in self.me.emails:
                me = address
        cals = dict(saved.cals) if saved is not None else {}
        return GcalState(spec, ids, me, {i: s for i, s in cals.items() if i in ids})

    def _calendar_list(self, api: GoogleApi) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            request = api.service.calendarList().list(
                maxResults=250, pageToken=token, fields=LIST_FIELDS
            )
            page = api.call(request, "calendarList.list") or {}
            entries += [e for e in page.get("items") or [] if not e.get("deleted")]
            token = page.get("nextPageToken")
            if not token:
                return entries

    def _match(self, wanted: str, entries: list[dict[str, Any]]) -> list[str]:
        if wanted == "primary":
            found = [str(e["id"]) for e in entries if e.get("primary")]
        elif wanted == "*":
            found = [str(e["id"]) for e in entries if e.get("accessRole") == "owner"]
        else:
            found = [str(e["id"]) for e in entries if e.get("id") == wanted]
            if not found:
                fold = wanted.casefold()
                found = [
                    str(e["id"])
                    for e in entries
                    if fold in (str(e.get("summaryOverride") or "").casefold(),
                                str(e.get("summary") or "").casefold())
                ]  # fmt: skip
        if found:
            return found[:1] if wanted not in ("*",) else found
        if wanted == "*":
            return []
        if "@" in wanted:
            return [wanted]  # an id not in your list (a public calendar): events.list decides
        names = ", ".join(
            repr(str(e.get("summaryOverride") or e.get("summary") or e.get("id"))) for e in entries
        )
        raise FatalError(
            self.account,
            f"no calendar {wanted!r} in your calendar list (you have: {names or 'none'}); "
            'fix `calendars` in the config ("primary", an id, a name, or "*")',
        )

    # -- one calendar -----------------------------------------------------------------------

    def _fresh(self, wanted: tuple[datetime, datetime]) -> CalState:
        return CalState((fmt(wanted[0]), fmt(wanted[1])), new_round(), "full")

    def _start_state(
        self, current: CalState | None, wanted: tuple[datetime, datetime], backfill: bool
    ) -> tuple[CalState, str | None]:
        """The state this run starts from, and a note when it starts a new round."""
        if backfill or current is None:
            return self._fresh(wanted), None
        if current.phase == "sync" and not current.sync:
            return self._fresh(wanted), "no sync token saved: full re-read"
        if current.phase != "full" and wanted[0] < parse(current.window[0]) - DRIFT:
            return self._fresh(wanted), "lookback grew: full re-read"
        return current, None

    def _request(self, api: GoogleApi, cal_id: str, state: CalState) -> Any:
        params: dict[str, Any] = {
            "calendarId": cal_id,
            "singleEvents": True,
            "maxResults": self.config.page_size,
            "fields": EVENT_FIELDS,
        }
        if state.phase == "full":
            params |= {"timeMin": state.window[0], "timeMax": state.window[1]}
        elif state.phase == "extend":
            assert state.ext is not None
            params |= {"timeMin": state.ext[0], "timeMax": state.ext[1]}
        else:
            params["syncToken"] = state.sync  # and nothing that filters: Google refuses it
        if state.page:
            params["pageToken"] = state.page
        return api.service.events().list(**params)

    def _calendar(
        self,
        api: GoogleApi,
        state: GcalState,
        cal_id: str,
        wanted: tuple[datetime, datetime],
        backfill: bool,
        me: Me,
    ) -> Iterator[Batch]:
        current, note = self._start_state(state.cals.get(cal_id), wanted, backfill)
        notes: dict[str, int] = {note: 1} if note else {}
        restarts = 0
        while True:
            try:
                page = api.call(self._request(api, cal_id, current), "events.list")
            except SyncTokenGone:
                if current.phase != "sync" or restarts >= MAX_RESTARTS:
                    raise FatalError(
                        self.account,
                        f"calendar {cal_id}: Google keeps expiring the sync state (410); "
                        "try again later",
                    ) from None
                restarts += 1
                current = self._fresh(wanted)
                notes["sync token expired (410): full re-read"] = 1
                continue
            if page is None:
                state.ids.remove(cal_id)
                state.cals.pop(cal_id, None)
                batch = Batch(cursor=CURSOR.encode(state), me_aliases=self._aliases(state))
                batch.notes[f"calendar {cal_id} not found (404): skipped"] = 1
                yield batch
                return
            items = page.get("items") or []
            items = items[current.off :] if current.off < len(items) else []
            next_page = str(page.get("nextPageToken") or "")
            chunks = [
                items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)
            ] or [[]]
            done = current.off
            finished: CalState | None = None
            for n, chunk in enumerate(chunks):
                batch = self._batch(chunk, cal_id, current, me)
                done += len(chunk)
                if n < len(chunks) - 1:
                    after = current.at(current.page, done)
                elif next_page:
                    after = current.at(next_page, 0)
                else:
                    finished = after = self._finish(current, page, cal_id, batch)
                state.cals[cal_id] = after
                batch.notes.update(notes)
                notes = {}
                batch.cursor = CURSOR.encode(state)
                batch.me_aliases = self._aliases(state)
                yield batch
            if finished is None:
                current = state.cals[cal_id]
                continue
            if finished.phase == "sync" and parse(finished.window[1]) <= wanted[1] - DRIFT:
                current = CalState(
                    finished.window,
                    finished.round,
                    "extend",
                    finished.sync,
                    ext=(finished.window[1], fmt(wanted[1])),
                )
                continue
            return

    def _finish(
        self, current: CalState, page: dict[str, Any], cal_id: str, batch: Batch
    ) -> CalState:
        """The state after the last page of the current listing (and the round's sweep)."""
        token = str(page.get("nextSyncToken") or "")
        if current.phase == "full":
            batch.sweep = Sweep(
                calendar_prefix(self.account, cal_id),
                parse(current.window[0]),
                parse(current.window[1]),
            )
            return CalState(current.window, current.round, "sync", token)
        if current.phase == "extend":
            assert current.ext is not None
            window = (current.window[0], current.ext[1])
            return CalState(window, current.round, "sync", current.sync)
        return CalState(current.window, current.round, "sync", token or current.sync)

    def _aliases(self, state: GcalState) -> tuple[str, ...]:
        return (state.me,) if state.me else ()

    def _batch(self, items: list[Any], cal_id: str, state: CalState, me: Me) -> Batch:
        batch = Batch(seen=len(items), round=state.round)
        for event in items:
            event_id = event.get("id") if isinstance(event, dict) else None
            if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id:
                batch.skipped.append(Skip(f"gcal:{self.account}:{cal_id}:?", "event without id"))
                continue
            if event.get("status") == "cancelled":
                batch.removed_keys.append(event_key(self.account, cal_id, event_id))
                continue
            kind = not_a_meeting(event)
            if kind is not None:
                batch.notes[f"not a meeting ({kind})"] = (
                    batch.notes.get(f"not a meeting ({kind})", 0) + 1
                )
                continue
            try:
                record = event_interaction(event, account=self.account, calendar_id=cal_id, me=me)
            except BadEvent as exc:
                batch.skipped.append(Skip(event_key(self.account, cal_id, event_id), str(exc)))
                continue
            batch.interactions.append(record)
        return batch
