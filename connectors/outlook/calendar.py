"""Delta rounds over one calendar's calendarView: first round, paging, replay, restart.

State per calendar is `{"window": [start, end], "next": nextLink|null, "delta": deltaLink|null}`.
A round is fixed to its window; `next` continues a round, `delta` replays changes since the
last one. A window that drifted more than `DRIFT` from today's, an explicit backfill window,
or a 410 (token expired) starts a new round.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from connectors.errors import FatalError
from connectors.outlook.http import GraphClient, SyncStateGone

DRIFT = timedelta(days=7)
_FMT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True, slots=True)
class CalendarState:
    window: tuple[str, str]
    next: str | None = None
    delta: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"window": list(self.window), "next": self.next, "delta": self.delta}

    @classmethod
    def from_json(cls, data: Any) -> CalendarState | None:
        if not isinstance(data, dict):
            return None
        window = data.get("window")
        if not (isinstance(window, list) and len(window) == 2):
            return None
        return cls((str(window[0]), str(window[1])), data.get("next"), data.get("delta"))


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FMT)


def day_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def drifted(window: tuple[str, str], wanted: tuple[datetime, datetime]) -> bool:
    start = datetime.strptime(window[0], _FMT).replace(tzinfo=UTC)
    end = datetime.strptime(window[1], _FMT).replace(tzinfo=UTC)
    return abs(start - wanted[0]) > DRIFT or abs(end - wanted[1]) > DRIFT


def _same_origin(link: str, graph_endpoint: str) -> bool:
    a, b = urlsplit(link), urlsplit(graph_endpoint)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def calendar_pages(
    client: GraphClient,
    *,
    graph_endpoint: str,
    base: str,
    state: CalendarState | None,
    wanted: tuple[datetime, datetime],
    fresh: bool,
    page_size: int,
) -> Iterator[tuple[list[dict[str, Any]], CalendarState]]:
    """Yield (items of one page, state after that page); `base` is `/me` or `/users/{id}`."""
    headers = {"Prefer": f'outlook.timezone="UTC", odata.maxpagesize={page_size}'}

    def first_url(window: tuple[str, str]) -> str:
        query = urlencode({"startDateTime": window[0], "endDateTime": window[1]})
        return f"{graph_endpoint.rstrip('/')}{base}/calendarView/delta?{query}"

    window = (fmt(wanted[0]), fmt(wanted[1]))
    url: str
    if fresh or state is None:
        url = first_url(window)
    elif state.next:
        window, url = state.window, state.next
    elif state.delta and not drifted(state.window, wanted):
        window, url = state.window, state.delta
    else:
        url = first_url(window)
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
            url = first_url(window)
            continue
        items = page.get("value") or []
        if not isinstance(items, list):
            items = []
        next_link = page.get("@odata.nextLink")
        delta_link = page.get("@odata.deltaLink")
        if next_link:
            yield items, CalendarState(window, str(next_link), None)
            url = str(next_link)
            continue
        if not delta_link:
            raise FatalError(client.account, f"Graph page without nextLink or deltaLink: {url}")
        yield items, CalendarState(window, None, str(delta_link))
        return
