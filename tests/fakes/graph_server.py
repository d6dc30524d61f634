"""A fake Microsoft Graph: calendarView/delta and mail folder messages/delta with paging, replay,
faults and a concurrency guard.

Events are stored per mailbox with the version at which they last changed; a round's links
encode the window, the version it started at and the offset, so paging is stable and a
deltaLink replays exactly the changes since its round began. `@removed` entries may lie
outside the window, as in Graph. Faults: 429/503 bursts (with or without Retry-After),
expired delta tokens (410), access tokens expiring mid-run (401). Any moment with more than
`max_in_flight` requests in flight for one app is recorded as a violation.

Mail: `/mailFolders/{sentitems,inbox}/messages/delta` with `$select` (bodies and
`internetMessageHeaders` are refused, as delta cannot select the latter), the one filter
Graph allows on message delta (`receivedDateTime ge …`), paging, deltaLink replay and
`@removed`; answers carry only the selected fields and the id.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import trustme
from werkzeug.wrappers import Request, Response

from tests.fakes.authority import FakeAuthority, TLSServer, json_response

_FMT = "%Y-%m-%dT%H:%M:%SZ"


def graph_time(moment: datetime) -> dict[str, str]:
    return {
        "dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"),
        "timeZone": "UTC",
    }


def _parse(value: str) -> datetime:
    return datetime.strptime(value, _FMT).replace(tzinfo=UTC)


def _event_bounds(event: dict[str, Any]) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(event["start"]["dateTime"][:19]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(event["end"]["dateTime"][:19]).replace(tzinfo=UTC)
    return start, end


@dataclass
class Folder:
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # id -> version of last change
    version: int = 0


@dataclass
class Mailbox:
    upn: str
    mail: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # id -> version of last change
    deleted: set[str] = field(default_factory=set)
    version: int = 0
    folders: dict[str, Folder] = field(default_factory=dict)

    def folder(self, name: str) -> Folder:
        return self.folders.setdefault(name.lower(), Folder())


# message properties a client may $select on messages/delta (a subset of Graph's)
MAIL_SELECTABLE = frozenset(
    {
        "id",
        "from",
        "sender",
        "toRecipients",
        "ccRecipients",
        "bccRecipients",
        "replyTo",
        "receivedDateTime",
        "sentDateTime",
        "internetMessageId",
        "conversationId",
        "inferenceClassification",
        "isDraft",
        "isRead",
        "subject",
        "categories",
        "parentFolderId",
    }
)
MAIL_UNSELECTABLE_ON_DELTA = frozenset({"internetMessageHeaders"})
MAIL_BODIES = frozenset({"body", "uniqueBody", "bodyPreview"})


def graph_recipients(addresses: Iterable[str]) -> list[dict[str, Any]]:
    return [{"emailAddress": {"name": a.split("@")[0].title(), "address": a}} for a in addresses]


def graph_message(
    message_id: str,
    *,
    sender: str,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    bcc: Iterable[str] = (),
    at: datetime,
    classification: str = "focused",
    draft: bool = False,
    subject: str = "",
    conversation: str = "",
) -> dict[str, Any]:
    """A full Graph message, body included: the fake serves only what the client selects."""
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    received = (at + timedelta(seconds=2)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": message_id,
        "subject": subject or f"Message {message_id}",
        "body": {"contentType": "text", "content": "private body text"},
        "bodyPreview": "private body text",
        "internetMessageHeaders": [{"name": "X-Private", "value": "never selected"}],
        "from": graph_recipients([sender])[0],
        "sender": graph_recipients([sender])[0],
        "toRecipients": graph_recipients(to),
        "ccRecipients": graph_recipients(cc),
        "bccRecipients": graph_recipients(bcc),
        "sentDateTime": stamp,
        "receivedDateTime": received,
        "internetMessageId": f"<{message_id}@mail.example>",
        "conversationId": conversation or f"conv-{message_id}",
        "inferenceClassification": classification,
        "isDraft": draft,
        "isRead": True,
    }


@dataclass
class Fault:
    status: int
    retry_after: float | None
    remaining: int


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _decode(token: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.encode()))
    return data


class FakeGraph:
    def __init__(
        self,
        authority: FakeAuthority,
        ca: trustme.CA,
        *,
        max_in_flight: int = 4,
        latency: float = 0.0,
        default_page: int = 10,
    ) -> None:
        self.authority = authority
        self.max_in_flight = max_in_flight
        self.latency = latency
        self.default_page = default_page
        self.mailboxes: dict[str, Mailbox] = {}
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.peak = 0
        self.violations = 0
        self.requests = 0
        self.status_counts: dict[int, int] = {}
        self.utc_missing = 0
        self.epoch = 0  # bumping it expires every outstanding delta/skip token
        self.faults: list[Fault] = []
        self.expire_tokens_at: int | None = None
        self.mail_selects: list[list[str]] = []
        self.tls = TLSServer(self.wsgi, ca)
        self.url = self.tls.url
        self.endpoint = f"{self.url}/v1.0"

    def close(self) -> None:
        self.tls.close()

    # -- test controls ------------------------------------------------------------

    def mailbox(self, upn: str, mail: str | None = None) -> Mailbox:
        box = self.mailboxes.get(upn.lower())
        if box is None:
            box = self.mailboxes[upn.lower()] = Mailbox(upn.lower(), (mail or upn).lower())
        return box

    def put(self, upn: str, event: dict[str, Any]) -> None:
        """Add or replace an event (a change the next replay reports)."""
        with self.lock:
            box = self.mailbox(upn)
            box.version += 1
            box.events[event["id"]] = copy.deepcopy(event)
            box.changed[event["id"]] = box.version
            box.deleted.discard(event["id"])

    def delete(self, upn: str, event_id: str) -> None:
        with self.lock:
            box = self.mailbox(upn)
            box.version += 1
            box.events.pop(event_id, None)
            box.changed[event_id] = box.version
            box.deleted.add(event_id)

    def put_message(self, upn: str, folder: str, message: dict[str, Any]) -> None:
        """Add or replace a message in a well-known folder (`sentitems`, `inbox`)."""
        with self.lock:
            box = self.mailbox(upn).folder(folder)
            box.version += 1
            box.messages[message["id"]] = copy.deepcopy(message)
            box.changed[message["id"]] = box.version

    def delete_message(self, upn: str, folder: str, message_id: str) -> None:
        with self.lock:
            box = self.mailbox(upn).folder(folder)
            box.version += 1
            box.messages.pop(message_id, None)
            box.changed[message_id] = box.version

    def fail_next(self, count: int, status: int = 429, retry_after: float | None = 0.1) -> None:
        with self.lock:
            self.faults.append(Fault(status, retry_after, count))

    def expire_delta_tokens(self) -> None:
        with self.lock:
            self.epoch += 1

    def expire_access_tokens_after(self, requests: int) -> None:
        with self.lock:
            self.expire_tokens_at = self.requests + requests

    # -- HTTP -----------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = self.authority.check(bearer)
        app = token.client_id if token else "?"
        with self.lock:
            self.requests += 1
            self.in_flight[app] = self.in_flight.get(app, 0) + 1
            self.peak = max(self.peak, self.in_flight[app])
            if self.in_flight[app] > self.max_in_flight:
                self.violations += 1
            if self.expire_tokens_at is not None and self.requests >= self.expire_tokens_at:
                self.expire_tokens_at = None
                expire = True
            else:
                expire = False
        response = self._error(500, "InternalServerError")
        try:
            if expire:
                self.authority.expire_access_tokens()
                token = self.authority.check(bearer)
            if self.latency:
                time.sleep(self.latency)
            response = self.route(request, token)
        finally:
            with self.lock:
                self.in_flight[app] -= 1
                self.status_counts[response.status_code] = (
                    self.status_counts.get(response.status_code, 0) + 1
                )
        return response(environ, start_response)

    def _error(self, status: int, code: str, message: str = "") -> Response:
        return json_response({"error": {"code": code, "message": message or code}}, status)

    def route(self, request: Request, token: Any) -> Response:
        if token is None:
            return self._error(401, "InvalidAuthenticationToken", "Access token has expired.")
        with self.lock:
            fault = self.faults[0] if self.faults else None
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.pop(0)
        if fault is not None:
            response = self._error(
                fault.status, "TooManyRequests" if fault.status == 429 else "ServiceUnavailable"
            )
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        path = request.path.removeprefix("/v1.0")
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "me":
            if token.app:
                return self._error(
                    400,
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                )
            upn, rest = token.subject.lower(), parts[1:]
        elif parts[0] == "users" and len(parts) >= 2:
            if not token.app and parts[1].lower() != token.subject.lower():
                return self._error(403, "ErrorAccessDenied")
            upn, rest = parts[1].lower(), parts[2:]
        else:
            return self._error(404, "ResourceNotFound")
        box = self.mailboxes.get(upn)
        if box is None:
            return self._error(404, "ErrorItemNotFound", f"user {upn} not found")
        if rest == []:
            return json_response({"mail": box.mail, "userPrincipalName": box.upn})
        if rest == ["calendarView", "delta"]:
            return self.delta(
                request,
                box,
                f"{self.endpoint}/{parts[0]}"
                + (f"/{quote(parts[1])}" if parts[0] == "users" else ""),
            )
        if len(rest) == 4 and rest[0] == "mailFolders" and rest[2:] == ["messages", "delta"]:
            if rest[1].lower() not in {"sentitems", "inbox"}:
                return self._error(404, "ErrorItemNotFound", f"folder {rest[1]} not found")
            return self.mail_delta(
                request,
                box,
                f"{self.endpoint}/{parts[0]}"
                + (f"/{quote(parts[1])}" if parts[0] == "users" else "")
                + f"/mailFolders/{rest[1]}/messages/delta",
                rest[1].lower(),
            )
        return self._error(404, "ResourceNotFound")

    def _page_size(self, request: Request, calendar: bool = True) -> int:
        prefer = ",".join(request.headers.getlist("Prefer"))
        if calendar and 'outlook.timezone="UTC"' not in prefer:
            with self.lock:
                self.utc_missing += 1
        for part in prefer.split(","):
            name, _, value = part.strip().partition("=")
            if name == "odata.maxpagesize":
                return max(1, int(value))
        return self.default_page

    def delta(self, request: Request, box: Mailbox, base: str) -> Response:
        size = self._page_size(request)
        args = request.args
        state: dict[str, Any]
        if "startDateTime" in args:
            state = {
                "w": [args["startDateTime"], args["endDateTime"]],
                "since": None,
                "at": box.version,
                "skip": 0,
                "epoch": self.epoch,
            }
        else:
            raw = args.get("$skiptoken") or args.get("$deltatoken")
            if not raw:
                return self._error(400, "BadRequest", "startDateTime and endDateTime required")
            state = _decode(raw)
            if state["epoch"] != self.epoch:
                return self._error(410, "SyncStateNotFound", "The sync state has expired.")
            if "$deltatoken" in args:
                state = {**state, "since": state["at"], "at": box.version, "skip": 0}
        start, end = _parse(state["w"][0]), _parse(state["w"][1])
        with self.lock:
            items = self._items(box, start, end, state["since"], state["at"])
            page = [
                copy.deepcopy(box.events[i]) if isinstance(i, str) else i
                for i in items[state["skip"] : state["skip"] + size]
            ]
        body: dict[str, Any] = {"value": page}
        if state["skip"] + size < len(items):
            token = _encode({**state, "skip": state["skip"] + size})
            body["@odata.nextLink"] = f"{base}/calendarView/delta?$skiptoken={token}"
        else:
            token = _encode({**state, "skip": 0})
            body["@odata.deltaLink"] = f"{base}/calendarView/delta?$deltatoken={token}"
        return json_response(body)

    def mail_delta(self, request: Request, box: Mailbox, link: str, name: str) -> Response:
        size = self._page_size(request, calendar=False)
        args = request.args
        state: dict[str, Any]
        if "$skiptoken" in args or "$deltatoken" in args:
            state = _decode(args.get("$skiptoken") or args["$deltatoken"])
            if state["epoch"] != self.epoch:
                return self._error(410, "SyncStateNotFound", "The sync state has expired.")
            if "$deltatoken" in args:
                state = {**state, "since": state["at"], "at": box.folder(name).version, "skip": 0}
        else:
            select = [f for f in (args.get("$select") or "").split(",") if f]
            refused = [f for f in select if f not in MAIL_SELECTABLE]
            if refused:
                return self._error(
                    400, "RequestBroker--ParseUri", f"Could not find a property named {refused}"
                )
            ge = None
            if "$filter" in args:
                name_, op, value = [*args["$filter"].split(" ", 2), "", ""][:3]
                if name_ != "receivedDateTime" or op not in {"ge", "gt"}:
                    return self._error(400, "ErrorInvalidUrlQueryFilter", args["$filter"])
                ge = value
            with self.lock:
                self.mail_selects.append(list(select))
            state = {
                "select": select,
                "ge": ge,
                "since": None,
                "at": box.folder(name).version,
                "skip": 0,
                "epoch": self.epoch,
            }
        with self.lock:
            folder = box.folder(name)
            items = self._mail_items(folder, state)
            page = [
                self._project(folder.messages[i], state["select"]) if isinstance(i, str) else i
                for i in items[state["skip"] : state["skip"] + size]
            ]
        body: dict[str, Any] = {"value": page}
        if state["skip"] + size < len(items):
            body["@odata.nextLink"] = (
                f"{link}?$skiptoken={_encode({**state, 'skip': state['skip'] + size})}"
            )
        else:
            body["@odata.deltaLink"] = f"{link}?$deltatoken={_encode({**state, 'skip': 0})}"
        return json_response(body)

    @staticmethod
    def _project(message: dict[str, Any], select: list[str]) -> dict[str, Any]:
        fields = set(select) if select else set(message) - MAIL_BODIES
        fields -= MAIL_UNSELECTABLE_ON_DELTA
        out = {k: copy.deepcopy(v) for k, v in message.items() if k in fields}
        out["id"] = message["id"]
        return out

    @staticmethod
    def _mail_items(folder: Folder, state: dict[str, Any]) -> list[str | dict[str, Any]]:
        def wanted(message: dict[str, Any]) -> bool:
            ge = state.get("ge")
            return not ge or str(message.get("receivedDateTime") or "") >= ge

        if state["since"] is None:
            return [i for i in sorted(folder.messages) if wanted(folder.messages[i])]
        changed = sorted(
            (v, i) for i, v in folder.changed.items() if state["since"] < v <= state["at"]
        )
        out: list[str | dict[str, Any]] = []
        for _, message_id in changed:
            message = folder.messages.get(message_id)
            if message is None:
                out.append({"id": message_id, "@removed": {"reason": "deleted"}})
            elif wanted(message):
                out.append(message_id)
        return out

    def _items(
        self, box: Mailbox, start: datetime, end: datetime, since: int | None, at: int
    ) -> list[str | dict[str, Any]]:
        """Event ids (copied only when served) or `@removed` entries, in a stable order."""

        def in_window(event: dict[str, Any]) -> bool:
            try:
                s, e = _event_bounds(event)
            except (KeyError, TypeError, ValueError):
                return True  # a malformed event is served as is: the client must cope
            return s < end and e > start

        if since is None:
            return [i for i in sorted(box.events) if in_window(box.events[i])]
        changed = sorted((v, i) for i, v in box.changed.items() if since < v <= at)
        out: list[str | dict[str, Any]] = []
        for _, event_id in changed:
            event = box.events.get(event_id)
            if event is None or not in_window(event):
                out.append({"id": event_id, "@removed": {"reason": "deleted"}})
            else:
                out.append(event_id)
        return out


# -- a synthetic calendar with known ground truth --------------------------------------


@dataclass
class Truth:
    """What the meeting rules must conclude for one occurrence."""

    start: datetime
    counts: bool  # past, not cancelled, not declined by me, small enough
    planned: bool  # a future, live meeting (sets next_planned_at)
    people: frozenset[str]  # who it is contact with (non-declined, not rooms, not me)


@dataclass
class Spec:
    start: datetime
    organizer: str
    attendees: list[tuple[str, str, str]]  # (address, type, response)
    minutes: int = 30
    cancelled: bool = False
    my_response: str = "accepted"
    all_day: bool = False
    series: str | None = None


class SyntheticCalendar:
    """Builds events into a FakeGraph mailbox and keeps the expected outcome of each."""

    def __init__(self, graph: FakeGraph, owner: str, now: datetime, max_size: int = 8) -> None:
        self.graph = graph
        self.owner = owner.lower()
        self.now = now
        self.max_size = max_size
        self.specs: dict[str, Spec] = {}
        self.counter = 0

    def _id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}"

    def event_json(self, event_id: str, spec: Spec) -> dict[str, Any]:
        end = spec.start.timestamp() + spec.minutes * 60
        start_t = graph_time(spec.start)
        end_t = graph_time(datetime.fromtimestamp(end, UTC))
        return {
            "id": event_id,
            "iCalUId": f"uid-{spec.series or event_id}",
            "subject": f"Meeting {event_id}",
            "type": "occurrence" if spec.series else "singleInstance",
            "seriesMasterId": spec.series,
            "isAllDay": spec.all_day,
            "isCancelled": spec.cancelled,
            "isOrganizer": spec.organizer == self.owner,
            "responseStatus": {
                "response": "organizer" if spec.organizer == self.owner else spec.my_response,
                "time": "0001-01-01T00:00:00Z",
            },
            "start": start_t,
            "end": end_t,
            "organizer": {"emailAddress": {"name": spec.organizer, "address": spec.organizer}},
            "attendees": [
                {
                    "type": kind,
                    "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": {"name": address.split("@")[0], "address": address},
                }
                for address, kind, response in spec.attendees
            ],
        }

    def put(self, spec: Spec, event_id: str | None = None) -> str:
        event_id = event_id or self._id("ev")
        self.specs[event_id] = spec
        self.graph.put(self.owner, self.event_json(event_id, spec))
        return event_id

    def series_master(self, master_id: str, first: Spec) -> None:
        """Graph may hand out the master too; it must never become an interaction."""
        event = self.event_json(master_id, first)
        event["type"] = "seriesMaster"
        event["seriesMasterId"] = None
        self.graph.put(self.owner, event)

    def delete(self, event_id: str) -> None:
        self.specs.pop(event_id, None)
        self.graph.delete(self.owner, event_id)

    def change(self, event_id: str, **updates: Any) -> None:
        spec = self.specs[event_id]
        for name, value in updates.items():
            setattr(spec, name, value)
        self.graph.put(self.owner, self.event_json(event_id, spec))

    def truth(self) -> dict[str, Truth]:
        out: dict[str, Truth] = {}
        for event_id, spec in self.specs.items():
            start = spec.start
            if spec.all_day:
                start = start.replace(hour=0, minute=0, second=0, microsecond=0)
            me_organizes = spec.organizer == self.owner
            roster = {spec.organizer: "organizer"} if not me_organizes else {}
            for address, kind, response in spec.attendees:
                if address == self.owner or kind == "resource":
                    continue
                roster.setdefault(address, response)
            declined_me = spec.my_response == "declined" and not me_organizes
            live = not spec.cancelled and not declined_me
            past = start <= self.now
            counts = live and past and len(roster) <= self.max_size
            people = frozenset(a for a, r in roster.items() if r != "declined")
            out[event_id] = Truth(
                start, counts, live and not past, people if counts else frozenset()
            )
        return out

    def generate(self, *, series: int, occurrences: int, singles: int, seed: int = 7) -> None:
        """Weekly series (with a moved, a cancelled and a declined occurrence each), single
        meetings, an all-hands over the size limit, rooms, all-day and future meetings."""
        import random

        rng = random.Random(seed)
        people = [f"person{n:03d}@partner.example" for n in range(60)]
        room = ("room-4.01@firm.example", "resource", "accepted")
        span_days = 5 * 365
        for s in range(series):
            master = self._id("master")
            first = self.now.replace(hour=9 + s % 8, minute=0, second=0, microsecond=0)
            first = first - timedelta_days(rng.randrange(30, span_days - 7 * occurrences))
            crew = rng.sample(people, 3)
            organizer = self.owner if s % 2 == 0 else crew[0]
            attendees = [(a, "required", "accepted") for a in crew] + [room]
            attendees.append((self.owner, "required", "accepted"))
            self.series_master(master, Spec(first, organizer, attendees, series=master))
            for n in range(occurrences):
                start = first + timedelta_days(7 * n)
                spec = Spec(start, organizer, list(attendees), series=master)
                if n == 2:
                    spec.start = start + timedelta_days(1)  # an exception: moved a day
                if n == 3:
                    spec.cancelled = True
                if n == 4 and organizer != self.owner:
                    spec.my_response = "declined"
                if n == 5:
                    spec.attendees = [
                        attendees[0],
                        (crew[1], "required", "declined"),
                        *attendees[2:],
                    ]
                self.put(spec, f"{master}_occ{n:03d}")
        for s in range(singles):
            ago = -rng.randrange(1, 80) if s % 10 == 5 else rng.randrange(1, span_days - 2)
            start = self.now - timedelta_days(ago)
            start = start.replace(minute=0, second=0, microsecond=0)
            size = 30 if s % 25 == 0 else rng.randrange(1, 5)
            crew = rng.sample(people, size)
            attendees = [
                (a, "optional" if i % 3 else "required", "accepted") for i, a in enumerate(crew)
            ]
            attendees.append((self.owner, "required", "accepted"))
            if s % 7 == 0:
                attendees.append(room)
            organizer = self.owner if s % 3 == 0 else crew[0]
            self.put(Spec(start, organizer, attendees, all_day=s % 11 == 0))


def timedelta_days(days: float) -> timedelta:
    return timedelta(days=days)
