"""Delta rounds on Graph: first round, paging, replay, restart, and the round's mark-and-sweep.

`delta_pages` drives any Graph delta collection (calendarView here, mail folders in
connectors.outlook.mail); `calendar_pages` is its calendar flavour.

State per collection is `RoundState`: the round's window, `next` (continue a round) or
`delta` (replay changes since the round), the round id and whether the round in progress is
*initial* (a full read). Every page of a round carries the round's id, which is minted when
an initial round starts and kept in the cursor, so its delta replays carry it too. The last
page of an initial round (the one with the deltaLink) asks for a sweep of the round's window:
whatever the store holds there that the round did not deliver is gone at the source (deleted
while the delta token was expired, before a window moved, …). Replays never sweep: they
carry only changes.

A window that drifted more than `DRIFT` from today's, an explicit backfill window, a 410
(token expired) or a cursor from before rounds existed (`legacy`) starts a new initial round.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from connectors.errors import FatalError
from connectors.outlook.http import GraphClient, SyncStateGone

DRIFT = timedelta(days=7)
_FMT = "%Y-%m-%dT%H:%M:%SZ"


def new_round() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class RoundState:
    """Where one collection's delta sync stands; `window` bounds are `_FMT` or "" (open)."""

    window: tuple[str, str]
    next: str | None = None
    delta: str | None = None
    round: str | None = None
    initial: bool = False
    legacy: bool = False  # started from a pre-round cursor: sweep the old key space too

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "window": list(self.window),
            "next": self.next,
            "delta": self.delta,
            "round": self.round,
            "initial": self.initial,
        }
        if self.legacy:
            out["legacy"] = True
        return out

    @classmethod
    def from_json(cls, data: Any) -> RoundState | None:
        if not isinstance(data, dict):
            return None
        window = data.get("window")
        if not (isinstance(window, list) and len(window) == 2):
            return None
        round_id = data.get("round")
        return cls(
            (str(window[0]), str(window[1])),
            data.get("next"),
            data.get("delta"),
            str(round_id) if round_id else None,
            bool(data.get("initial")),
            bool(data.get("legacy")) or not round_id,
        )


CalendarState = RoundState  # the name the calendar code grew up with


@dataclass(frozen=True, slots=True)
class Page:
    """One Graph page and the state after it; `sweep` is set on the last page of an initial
    round: the window inside which the store may delete what `round` did not deliver."""

    items: list[dict[str, Any]]
    state: RoundState
    round: str
    sweep: tuple[datetime | None, datetime | None] | None = None
    legacy: bool = False


def fmt(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime(_FMT)


def parse(value: str) -> datetime | None:
    return datetime.strptime(value, _FMT).replace(tzinfo=UTC) if value else None


def day_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def drifted(window: tuple[str, str], wanted: tuple[datetime, datetime]) -> bool:
    start, end = parse(window[0]), parse(window[1])
    if start is None or end is None:
        return True
    return abs(start - wanted[0]) > DRIFT or abs(end - wanted[1]) > DRIFT


def _same_origin(link: str, graph_endpoint: str) -> bool:
    a, b = urlsplit(link), urlsplit(graph_endpoint)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def delta_pages(
    client: GraphClient,
    *,
    graph_endpoint: str,
    first_url: Callable[[tuple[str, str]], str],
    state: RoundState | None,
    window: tuple[str, str],
    restart: bool,
    headers: dict[str, str],
) -> Iterator[Page]:
    """Continue `state` (its next link, else its delta link) or, with `restart` or no usable
    state, start an initial round over `window`."""
    legacy = state is not None and state.legacy
    if restart or state is None or state.round is None or not (state.next or state.delta):
        current = RoundState(window, round=new_round(), initial=True, legacy=legacy)
        url = first_url(window)
    elif state.next:
        current, url = state, state.next
    else:
        assert state.delta is not None
        current, url = replace(state, initial=False), state.delta
    restarts = 0
    while True:
        if not _same_origin(url, graph_endpoint):
            raise FatalError(client.account, f"Graph sent a link outside {graph_endpoint}: {url}")
        try:
            page = client.get_json(url, headers)
        except SyncStateGone:
            restarts += 1
            if restarts > 3:
                raise FatalError(
                    client.account, "Graph keeps expiring the sync state (410); try again later"
                ) from None
            # A new initial round under a new id: what the broken round delivered is marked
            # with the old id, so anything deleted meanwhile is swept at the end.
            current = RoundState(window, round=new_round(), initial=True, legacy=current.legacy)
            url = first_url(window)
            continue
        items = page.get("value") or []
        if not isinstance(items, list):
            items = []
        round_id = current.round or ""
        next_link = page.get("@odata.nextLink")
        delta_link = page.get("@odata.deltaLink")
        if next_link:
            current = replace(current, next=str(next_link), delta=None)
            yield Page(items, current, round_id)
            url = str(next_link)
            continue
        if not delta_link:
            raise FatalError(client.account, f"Graph page without nextLink or deltaLink: {url}")
        done = RoundState(current.window, None, str(delta_link), current.round)
        sweep = None
        if current.initial:
            sweep = (parse(current.window[0]), parse(current.window[1]))
        yield Page(items, done, round_id, sweep, current.initial and current.legacy)
        return


def calendar_pages(
    client: GraphClient,
    *,
    graph_endpoint: str,
    base: str,
    state: RoundState | None,
    wanted: tuple[datetime, datetime],
    fresh: bool,
    page_size: int,
) -> Iterator[Page]:
    """calendarView delta pages; `base` is `/me` or `/users/{id}`. A round's window is fixed:
    a backfill (`fresh`) or a drifted window starts a new initial round."""
    headers = {"Prefer": f'outlook.timezone="UTC", odata.maxpagesize={page_size}'}

    def first_url(window: tuple[str, str]) -> str:
        query = urlencode({"startDateTime": window[0], "endDateTime": window[1]})
        return f"{graph_endpoint.rstrip('/')}{base}/calendarView/delta?{query}"

    window = (fmt(wanted[0]), fmt(wanted[1]))
    restart = fresh
    if state is not None and not state.next and drifted(state.window, wanted):
        restart = True
    if state is not None and state.next and not fresh:
        window = state.window  # finish the round in progress on its own window
    yield from delta_pages(
        client,
        graph_endpoint=graph_endpoint,
        first_url=first_url,
        state=state,
        window=window,
        restart=restart,
        headers=headers,
    )
