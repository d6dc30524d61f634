"""A faithful fake of the Gmail API on 127.0.0.1, for tests and the bench.

Real HTTP (stdlib `http.server` in a thread), so the real google-api-python-client and
google-auth talk to it unchanged: REST endpoints, the multipart/mixed batch endpoint, the
OAuth token endpoint (refresh and authorization-code grants), partial responses (`fields`),
paging, label filters, per-user quota accounting with a token bucket (429 / 403
rateLimitExceeded when exceeded) and switchable faults.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

COSTS: dict[str, dict[str, int]] = {
    "legacy": {
        "getProfile": 1,
        "messages.list": 5,
        "messages.get": 5,
        "messages.send": 100,
        "threads.list": 10,
        "threads.get": 10,
        "history.list": 2,
        "sendAs.list": 1,
        "labels.get": 1,
    },
    "2026": {
        "getProfile": 1,
        "messages.list": 5,
        "messages.get": 20,
        "messages.send": 100,
        "threads.list": 10,
        "threads.get": 10,
        "history.list": 2,
        "sendAs.list": 1,
        "labels.get": 1,
    },
}
SCOPE_METADATA = "https://www.googleapis.com/auth/gmail.metadata"


@dataclass
class FakeMessage:
    """One stored message: metadata plus a small body (only format=full/raw show it)."""

    id: str
    thread_id: str
    internal_date: int  # ms since the epoch, UTC
    labels: list[str]
    headers: list[tuple[str, str]]
    history_id: int = 0
    body: str = "Hello."

    def resource(self, fmt: str, wanted: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "threadId": self.thread_id,
            "labelIds": list(self.labels),
            "internalDate": str(self.internal_date),
            "historyId": str(self.history_id),
            "sizeEstimate": 200 + len(self.body),
            "snippet": "" if fmt == "metadata" else self.body[:100],
        }
        if fmt == "minimal":
            return out
        if fmt == "raw":
            out["raw"] = base64.urlsafe_b64encode(self.rfc822().encode()).decode()
            return out
        headers = self.headers
        if fmt == "metadata" and wanted:
            lower = {w.lower() for w in wanted}
            headers = [h for h in headers if h[0].lower() in lower]
        payload: dict[str, Any] = {
            "partId": "",
            "mimeType": "text/plain",
            "filename": "",
            "headers": [{"name": n, "value": v} for n, v in headers],
        }
        if fmt == "full":
            data = base64.urlsafe_b64encode(self.body.encode()).decode()
            payload["body"] = {"size": len(self.body), "data": data}
        out["payload"] = payload
        return out

    def rfc822(self) -> str:
        lines = [f"{n}: {v}" for n, v in self.headers]
        return "\r\n".join(lines) + "\r\n\r\n" + self.body + "\r\n"


@dataclass(frozen=True)
class HistoryRecord:
    """One change as Gmail's history keeps it: `kind` is the historyTypes name."""

    id: int
    kind: str  # "messageAdded" | "messageDeleted" | "labelAdded" | "labelRemoved"
    message: FakeMessage
    labels: tuple[str, ...] = ()  # the labels added or removed
    after: tuple[str, ...] = ()  # the message's labels once this change was made

    def resource(self) -> dict[str, Any]:
        short = {"id": self.message.id, "threadId": self.message.thread_id}
        full = {**short, "labelIds": list(self.after)}
        out: dict[str, Any] = {"id": str(self.id), "messages": [short]}
        if self.kind == "messageAdded":
            out["messagesAdded"] = [{"message": full}]
        elif self.kind == "messageDeleted":
            out["messagesDeleted"] = [{"message": short}]
        elif self.kind == "labelAdded":
            out["labelsAdded"] = [{"message": full, "labelIds": list(self.labels)}]
        else:
            out["labelsRemoved"] = [{"message": full, "labelIds": list(self.labels)}]
        return out


class Clock:
    """Real time plus whatever `sleep` skipped: lets the bench run hours of quota in minutes."""

    def __init__(self, virtual: bool = False) -> None:
        self.virtual = virtual
        self._start = time.monotonic()
        self._skipped = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.monotonic() - self._start + self._skipped

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.virtual:
            with self._lock:
                self._skipped += seconds
        else:
            time.sleep(seconds)


class Bucket:
    """The server's per-user limiter: `rate` units/s, `capacity` units of burst."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate, self.capacity, self.clock = rate, capacity, clock
        self.tokens = capacity
        self.stamp = clock()

    def take(self, units: float) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens + 1e-9 >= units:
            self.tokens -= units
            return True
        return False


@dataclass
class Faults:
    """Switch these on from a test; counts decrement as faults are served."""

    errors_5xx: int = 0  # the next N API calls answer 503
    rate_limit_status: int = 429  # 429, or 403 (rateLimitExceeded / userRateLimitExceeded)
    history_gone: bool = False  # history.list answers 404
    delay: float = 0.0  # seconds added to every HTTP request
    on_call: Callable[[str], None] | None = None  # hook run before each API call is served


@dataclass
class Stats:
    units: int = 0
    http_requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    refreshes: int = 0


class Mailbox:
    """The state behind the API: messages, history records, aliases, sent mail."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.aliases: list[str] = []
        self.messages: dict[str, FakeMessage] = {}
        self.history: list[HistoryRecord] = []
        self.history_id = 1000
        self.oldest_history = 1000
        self.sent_raw: list[bytes] = []
        self._ids = itertools.count(0x18A000000000)
        self._sorted: list[FakeMessage] | None = None
        self._threads: dict[str, list[FakeMessage]] | None = None

    def new_id(self) -> str:
        return format(next(self._ids), "x")

    def add(
        self,
        headers: Iterable[tuple[str, str]],
        internal_date: int,
        labels: Iterable[str],
        thread_id: str | None = None,
        msg_id: str | None = None,
        body: str = "Hello.",
    ) -> FakeMessage:
        self.history_id += 1
        mid = msg_id or self.new_id()
        msg = FakeMessage(
            mid, thread_id or mid, internal_date, list(labels), list(headers), self.history_id, body
        )
        self.messages[mid] = msg
        self.history.append(
            HistoryRecord(self.history_id, "messageAdded", msg, (), tuple(msg.labels))
        )
        self._changed()
        return msg

    def _changed(self) -> None:
        self._sorted = None
        self._threads = None

    def delete(self, mid: str) -> None:
        """Delete permanently (messages.delete, or emptied from Trash): a messageDeleted."""
        msg = self.messages.pop(mid)
        self.history_id += 1
        self.history.append(HistoryRecord(self.history_id, "messageDeleted", msg))
        self._changed()

    def modify(self, mid: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Change labels (messages.modify): one labelAdded and/or labelRemoved record."""
        msg = self.messages[mid]
        added = [label for label in add if label not in msg.labels]
        removed = [label for label in remove if label in msg.labels]
        for kind, labels in (("labelAdded", added), ("labelRemoved", removed)):
            if not labels:
                continue
            if kind == "labelAdded":
                msg.labels.extend(labels)
            else:
                msg.labels[:] = [label for label in msg.labels if label not in labels]
            self.history_id += 1
            msg.history_id = self.history_id
            self.history.append(
                HistoryRecord(self.history_id, kind, msg, tuple(labels), tuple(msg.labels))
            )
        self._changed()

    def trash(self, mid: str) -> None:
        """messages.trash: the TRASH label is added (the message stays until emptied)."""
        self.modify(mid, add=["TRASH"])

    def spam(self, mid: str) -> None:
        """Reported as spam: SPAM added, INBOX removed."""
        self.modify(mid, add=["SPAM"], remove=["INBOX"])

    def expire_history(self) -> None:
        """Forget all history records so far (as Gmail does after about a week)."""
        self.oldest_history = self.history_id + 1
        self.history.clear()

    def ordered(self) -> list[FakeMessage]:
        if self._sorted is None:
            self._sorted = sorted(
                self.messages.values(), key=lambda m: (-m.internal_date, m.id), reverse=False
            )
        return self._sorted

    def threads(self) -> dict[str, list[FakeMessage]]:
        if self._threads is not None:
            return self._threads
        out: dict[str, list[FakeMessage]] = {}
        for m in self.ordered():
            out.setdefault(m.thread_id, []).append(m)
        for msgs in out.values():
            msgs.sort(key=lambda m: (m.internal_date, m.id))
        self._threads = out
        return out


def _visible(msg: FakeMessage, labels: list[str], spam_trash: bool) -> bool:
    if not spam_trash and ({"SPAM", "TRASH"} & set(msg.labels)):
        return False
    return all(label in msg.labels for label in labels)


def _split_top(mask: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in mask:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _merge_select(value: Any, mask: str) -> Any:
    """Apply a partial-response `fields` mask (`a,b/c,d(e,f)`); paths under one key merge."""
    if isinstance(value, list):
        return [_merge_select(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    grouped: dict[str, list[str]] = {}
    for part in _split_top(mask):
        part = part.strip()
        if not part:
            continue
        name = re.split(r"[/(]", part, maxsplit=1)[0]
        grouped.setdefault(name, []).append(part[len(name) :])
    out: dict[str, Any] = {}
    for name, rests in grouped.items():
        if name not in value:
            continue
        subs = []
        for rest in rests:
            if rest.startswith("/"):
                subs.append(rest[1:])
            elif rest.startswith("("):
                subs.append(rest[1:-1])
        if not subs or any(r == "" for r in rests):
            out[name] = value[name]
        else:
            out[name] = _merge_select(value[name], ",".join(subs))
    return out


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.status,
                "message": self.message,
                "errors": [{"domain": "global", "reason": self.reason, "message": self.message}],
                "status": {429: "RESOURCE_EXHAUSTED", 404: "NOT_FOUND", 401: "UNAUTHENTICATED"}.get(
                    self.status, "FAILED_PRECONDITION"
                ),
            }
        }


class FakeGmail:
    """The server. Use as a context manager; `endpoint` and `token_uri` point at it."""

    def __init__(
        self,
        address: str = "me@example.com",
        *,
        costs: str = "2026",
        units_per_second: float | None = 100.0,
        burst_seconds: float = 5.0,
        clock: Clock | None = None,
        scope: str = SCOPE_METADATA,
        token_lifetime: int = 3600,
        page_limit: int = 500,
    ) -> None:
        self.mailbox = Mailbox(address)
        self.costs = COSTS[costs]
        self.clock = clock or Clock()
        self.bucket = (
            Bucket(units_per_second, units_per_second * burst_seconds, self.clock.now)
            if units_per_second
            else None
        )
        self.scope = scope
        self.token_lifetime = token_lifetime
        self.page_limit = page_limit
        self.faults = Faults()
        self.stats = Stats()
        self.client_id = "fake-client.apps.example"
        self.client_secret = "fake-secret"
        self.refresh_token = "1//fake-refresh-" + secrets.token_hex(8)
        self.access_tokens: set[str] = set()
        self.auth_codes: dict[str, str] = {}
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeGmail:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGmail:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return self.endpoint + "/token"

    # -- credentials -------------------------------------------------------------------

    def issue_token(self) -> str:
        token = "ya29.fake-" + secrets.token_hex(12)
        with self.lock:
            self.access_tokens.add(token)
        return token

    def authorized_user_info(self, *, expired: bool = False) -> dict[str, Any]:
        """What `Credentials.to_json()` writes, pointing at this fake's token endpoint."""
        token = "ya29.stale" if expired else self.issue_token()
        expiry = "2000-01-01T00:00:00Z" if expired else "2999-01-01T00:00:00Z"
        return {
            "token": token,
            "refresh_token": self.refresh_token,
            "token_uri": self.token_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": [self.scope],
            "expiry": expiry,
        }

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (expiry mid-run)."""
        with self.lock:
            self.access_tokens.clear()

    def revoke(self) -> None:
        """The refresh token is revoked: refresh answers invalid_grant."""
        with self.lock:
            self.refresh_token = "revoked-" + secrets.token_hex(4)
            self.access_tokens.clear()

    def client_secrets(self) -> dict[str, Any]:
        """An installed-app client secrets file for google-auth-oauthlib."""
        return {
            "installed": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.endpoint + "/auth",
                "token_uri": self.token_uri,
                "redirect_uris": ["http://localhost"],
            }
        }

    # -- request handling --------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        path = parts.path
        if path == "/token" and method == "POST":
            return self._token(body)
        if path == "/auth" and method == "GET":
            return self._auth(parse_qs(parts.query))
        if path in ("/batch/gmail/v1", "/batch") and method == "POST":
            with self.lock:
                self.stats.http_requests += 1
            if not self._authorized(headers):
                return _json(401, ApiError(401, "authError", "Invalid Credentials").body())
            return self._batch(headers, body)
        with self.lock:
            self.stats.http_requests += 1
        return self.api_call(method, url, headers, body)

    def api_call(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One Gmail API call (alone or as a batch part)."""
        parts = urlsplit(url)
        query = {k: v for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            if not self._authorized(headers):
                raise ApiError(401, "authError", "Invalid Credentials")
            name, handler, args = self._route(method, parts.path)
            if self.faults.on_call is not None:
                self.faults.on_call(name)
            with self.lock:
                if self.faults.errors_5xx > 0:
                    self.faults.errors_5xx -= 1
                    self.stats.rejected["5xx"] += 1
                    raise ApiError(503, "backendError", "Backend Error")
                cost = self.costs[name]
                if self.bucket is not None and not self.bucket.take(cost):
                    self.stats.rejected["rate"] += 1
                    status = self.faults.rate_limit_status
                    raise ApiError(status, "rateLimitExceeded", "User-rate limit exceeded")
                self.stats.units += cost
                self.stats.calls[name] += 1
                result = handler(query, body, *args)
            fields = query.get("fields", [""])[0]
            if fields:
                result = _merge_select(result, fields)
            return _json(200, result)
        except ApiError as err:
            return _json(err.status, err.body())

    def _authorized(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        with self.lock:
            return token in self.access_tokens

    def _route(self, method: str, path: str) -> tuple[str, Callable[..., Any], tuple[str, ...]]:
        prefix = "/gmail/v1/users/me/"
        if not path.startswith(prefix):
            raise ApiError(404, "notFound", f"no such path {path}")
        rest = path[len(prefix) :]
        table: list[tuple[str, str, str, Callable[..., Any]]] = [
            ("GET", r"profile", "getProfile", self._profile),
            ("GET", r"messages", "messages.list", self._messages_list),
            ("POST", r"messages/send", "messages.send", self._messages_send),
            ("GET", r"messages/([^/]+)", "messages.get", self._messages_get),
            ("GET", r"threads", "threads.list", self._threads_list),
            ("GET", r"threads/([^/]+)", "threads.get", self._threads_get),
            ("GET", r"history", "history.list", self._history_list),
            ("GET", r"settings/sendAs", "sendAs.list", self._send_as),
            ("GET", r"labels/([^/]+)", "labels.get", self._label_get),
        ]
        for verb, pattern, name, handler in table:
            match = re.fullmatch(pattern, rest)
            if verb == method and match:
                return name, handler, match.groups()
        raise ApiError(404, "notFound", f"no such method {method} {path}")

    # -- endpoints ---------------------------------------------------------------------

    def _profile(self, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        box = self.mailbox
        return {
            "emailAddress": box.address,
            "messagesTotal": len(box.messages),
            "threadsTotal": len(box.threads()),
            "historyId": str(box.history_id),
        }

    def _send_as(self, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        addresses = [self.mailbox.address, *self.mailbox.aliases]
        return {
            "sendAs": [
                {"sendAsEmail": a, "isPrimary": i == 0, "verificationStatus": "accepted"}
                for i, a in enumerate(addresses)
            ]
        }

    def _label_get(self, q: dict[str, list[str]], body: bytes, label: str) -> dict[str, Any]:
        msgs = [m for m in self.mailbox.messages.values() if label in m.labels]
        if not msgs and not label.startswith("CATEGORY_"):
            raise ApiError(404, "notFound", "Requested entity was not found.")
        threads = {m.thread_id for m in msgs}
        return {
            "id": label,
            "name": label,
            "type": "system",
            "messagesTotal": len(msgs),
            "threadsTotal": len(threads),
        }

    def _check_q(self, q: dict[str, list[str]]) -> None:
        if q.get("q", [""])[0] and self.scope == SCOPE_METADATA:
            raise ApiError(403, "forbidden", "Metadata scope does not support 'q' parameter")

    def _page(
        self, q: dict[str, list[str]], items: list[Any], key: Callable[[Any], str]
    ) -> tuple[list[Any], str | None]:
        limit = min(int(q.get("maxResults", ["100"])[0]), self.page_limit)
        token = q.get("pageToken", [""])[0]
        start = 0
        if token:
            after = base64.urlsafe_b64decode(token.encode()).decode()
            keys = [key(i) for i in items]
            # Resume after the last item handed out: stable when new mail arrives meanwhile.
            start = next((n for n, k in enumerate(keys) if k > after), len(items))
        page = items[start : start + limit]
        more = start + limit < len(items)
        next_token = base64.urlsafe_b64encode(key(page[-1]).encode()).decode() if more else None
        return page, next_token

    def _messages_list(self, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        self._check_q(q)
        labels = q.get("labelIds", [])
        spam = q.get("includeSpamTrash", ["false"])[0] == "true"
        items = [m for m in self.mailbox.ordered() if _visible(m, labels, spam)]
        page, token = self._page(q, items, _order_key)
        out: dict[str, Any] = {"resultSizeEstimate": len(items)}
        if page:
            out["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if token:
            out["nextPageToken"] = token
        return out

    def _messages_get(self, q: dict[str, list[str]], body: bytes, mid: str) -> dict[str, Any]:
        msg = self.mailbox.messages.get(mid)
        if msg is None:
            raise ApiError(404, "notFound", "Requested entity was not found.")
        fmt = self._format(q)
        return msg.resource(fmt, q.get("metadataHeaders", []))

    def _format(self, q: dict[str, list[str]]) -> str:
        fmt = q.get("format", ["full"])[0]
        if fmt in ("full", "raw") and self.scope == SCOPE_METADATA:
            raise ApiError(403, "forbidden", "Metadata scope doesn't allow format FULL")
        return fmt

    def _threads_list(self, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        self._check_q(q)
        labels = q.get("labelIds", [])
        spam = q.get("includeSpamTrash", ["false"])[0] == "true"
        threads: dict[str, FakeMessage] = {}
        for m in self.mailbox.ordered():
            if not spam and ({"SPAM", "TRASH"} & set(m.labels)):
                continue
            threads.setdefault(m.thread_id, m)  # newest message first → thread order
        matching = {
            m.thread_id for m in self.mailbox.messages.values() if _visible(m, labels, spam)
        }
        items = [m for tid, m in threads.items() if tid in matching]
        page, token = self._page(q, items, _order_key)
        out: dict[str, Any] = {"resultSizeEstimate": len(items)}
        if page:
            out["threads"] = [
                {"id": m.thread_id, "snippet": "", "historyId": str(m.history_id)} for m in page
            ]
        if token:
            out["nextPageToken"] = token
        return out

    def _threads_get(self, q: dict[str, list[str]], body: bytes, tid: str) -> dict[str, Any]:
        msgs = self.mailbox.threads().get(tid)
        if not msgs:
            raise ApiError(404, "notFound", "Requested entity was not found.")
        fmt = self._format(q)
        wanted = q.get("metadataHeaders", [])
        return {
            "id": tid,
            "historyId": str(max(m.history_id for m in msgs)),
            "messages": [m.resource(fmt, wanted) for m in msgs],
        }

    def _history_list(self, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        box = self.mailbox
        start = int(q.get("startHistoryId", ["0"])[0])
        if self.faults.history_gone or start < box.oldest_history - 1:
            raise ApiError(404, "notFound", "Requested entity was not found.")
        label = q.get("labelId", [""])[0]
        kinds = set(q.get("historyTypes", []))  # none given: every type, as Gmail does
        limit = min(int(q.get("maxResults", ["100"])[0]), self.page_limit)
        offset = int(q.get("pageToken", ["0"])[0] or 0)
        records = [
            r
            for r in box.history
            if r.id > start and (not kinds or r.kind in kinds) and (not label or label in r.after)
        ]
        page = records[offset : offset + limit]
        out: dict[str, Any] = {"historyId": str(box.history_id)}
        if page:
            out["history"] = [r.resource() for r in page]
        if offset + limit < len(records):
            out["nextPageToken"] = str(offset + limit)
        return out

    def _messages_send(self, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        data = json.loads(body or b"{}")
        raw = base64.urlsafe_b64decode(data.get("raw", "").encode() + b"==")
        self.mailbox.sent_raw.append(raw)
        mid = self.mailbox.new_id()
        return {"id": mid, "threadId": data.get("threadId", mid), "labelIds": ["SENT"]}

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        grant = form.get("grant_type")
        ok_client = form.get("client_id") == self.client_id
        if grant == "refresh_token":
            if not ok_client or form.get("refresh_token") != self.refresh_token:
                err = {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
                return _json(400, err)
            with self.lock:
                self.stats.refreshes += 1
            return _json(
                200,
                {
                    "access_token": self.issue_token(),
                    "expires_in": self.token_lifetime,
                    "token_type": "Bearer",
                    "scope": self.scope,
                },
            )
        if grant == "authorization_code" and form.get("code") in self.auth_codes:
            scope = self.auth_codes.pop(form["code"])
            return _json(
                200,
                {
                    "access_token": self.issue_token(),
                    "refresh_token": self.refresh_token,
                    "expires_in": self.token_lifetime,
                    "token_type": "Bearer",
                    "scope": scope,
                },
            )
        return _json(400, {"error": "invalid_grant", "error_description": "Bad grant."})

    def _auth(self, q: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        """The consent screen, always approved: redirect back with a code."""
        code = "4/fake-code-" + secrets.token_hex(6)
        self.auth_codes[code] = q.get("scope", [""])[0]
        redirect = q["redirect_uri"][0]
        params = {"code": code, "state": q.get("state", [""])[0], "scope": self.auth_codes[code]}
        return 302, {"Location": f"{redirect}?{urlencode(params)}"}, b""

    def _batch(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        content_type = headers.get("content-type", "")
        envelope = f"Content-Type: {content_type}\r\n\r\n".encode() + body
        message = BytesParser().parsebytes(envelope)
        if not message.is_multipart():
            return _json(400, ApiError(400, "badRequest", "not multipart").body())
        parts = message.get_payload()
        assert isinstance(parts, list)
        if len(parts) > 100:
            return _json(400, ApiError(400, "badRequest", "too many requests in batch").body())
        boundary = "batch_" + secrets.token_hex(8)
        out: list[bytes] = []
        outer_auth = headers.get("authorization", "")
        for part in parts:
            assert not isinstance(part, str)
            content_id = str(part["Content-ID"] or "")
            raw = part.get_payload(decode=False)
            text = raw if isinstance(raw, str) else str(raw)
            head, _, inner_body = text.replace("\r\n", "\n").partition("\n\n")
            lines = head.split("\n")
            verb, target = lines[0].split(" ")[:2]
            inner_headers = {"authorization": outer_auth}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                inner_headers[name.strip().lower()] = value.strip()
            status, _, payload = self.api_call(verb, target, inner_headers, inner_body.encode())
            reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}
            cid = content_id.strip("<>")
            out.append(
                (
                    f"--{boundary}\r\nContent-Type: application/http\r\n"
                    f"Content-ID: <response-{cid}>\r\n\r\n"
                    f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
                    f"Content-Type: application/json; charset=UTF-8\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n"
                ).encode()
                + payload
                + b"\r\n"
            )
        out.append(f"--{boundary}--\r\n".encode())
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, b"".join(out)


def _order_key(m: FakeMessage) -> str:
    # Newest first; encoded so that string order is the listing order.
    return f"{(10**15 - m.internal_date):016d}:{m.id}"


def _json(status: int, value: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(value).encode()


def _make_handler(fake: FakeGmail) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to every response

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if fake.faults.delay:
                time.sleep(fake.faults.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, payload = fake.handle(self.command, self.path, headers, body)
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    return Handler


# -- generated mailboxes with known ground truth -----------------------------------------

ME = "me@example.com"
ALIAS = "me.work@example.org"


@dataclass
class Generated:
    """What `generate_mailbox` made: the expected last-contact table and counts."""

    expected: dict[str, int] = field(default_factory=dict)  # email → newest contact (ms)
    threads: int = 0
    messages: int = 0

    def counts(self, who: Iterable[str], ms: int) -> None:
        from models.identity import normalize_email

        for raw in who:
            address = normalize_email(raw) or raw
            if ms > self.expected.get(address, 0):
                self.expected[address] = ms


def _fmt_date(ms: int) -> str:
    from email.utils import formatdate

    return formatdate(ms / 1000, usegmt=True)


def generate_mailbox(
    fake: FakeGmail,
    messages: int = 600,
    *,
    seed: int = 7,
    start_ms: int = 1_735_689_600_000,  # 2025-01-01
    span_days: int = 300,
    drafts: bool = True,
) -> Generated:
    """A realistic mailbox: conversations (~15 % of threads), one-way personal mail,
    newsletters, notifications, large CC'd groups, Bcc, aliases, Gmail dot/plus spellings.

    Ground truth is decided here from intent (not via our rules): who counts, and when.
    """
    import random

    rng = random.Random(seed)
    box = fake.mailbox
    box.address = ME
    box.aliases = [ALIAS]
    truth = Generated()
    people = [f"friend{i}@people.example" for i in range(max(20, messages // 25))]
    spellings = {
        "ada.lovelace@gmail.com": ["Ada.Lovelace+lists@gmail.com", "adalovelace@googlemail.com"]
    }
    people.append("ada.lovelace@gmail.com")
    senders_bulk = ["newsletter@shop.example", "noreply@service.example", "digest@forum.example"]
    span = span_days * 86_400_000
    made = 0

    def when() -> int:
        return start_ms + rng.randrange(span)

    def spell(addr: str) -> str:
        return rng.choice([*spellings.get(addr, [addr]), addr])

    def add(headers: list[tuple[str, str]], ms: int, labels: list[str], tid: str | None) -> str:
        nonlocal made
        made += 1
        return box.add(headers, ms, labels, thread_id=tid).thread_id

    while made < messages:
        kind = rng.random()
        ms = when()
        truth.threads += 1
        if kind < 0.15:  # a conversation you took part in
            other = rng.choice(people)
            cc = rng.sample(people, rng.choice([0, 0, 1, 3]))
            cc = [c for c in cc if c != other]
            tid: str | None = None
            mine = rng.choice([ME, ME, ALIAS])
            for turn in range(rng.randint(2, 6)):
                ms += rng.randrange(1, 3 * 86_400_000)
                hdr_cc = [("Cc", ", ".join(cc))] if cc else []
                if (turn % 2 == 0) == (rng.random() < 0.5):
                    headers = [
                        ("From", f"Me <{mine}>"),
                        ("To", spell(other)),
                        *hdr_cc,
                        ("Subject", "Re: plans"),
                        ("Date", _fmt_date(ms)),
                        ("Message-ID", f"<c{made}@example.com>"),
                    ]
                    tid = add(headers, ms, ["SENT"], tid)
                    truth.counts([other, *cc], ms)
                else:
                    headers = [
                        ("From", f"Friend <{spell(other)}>"),
                        ("To", mine),
                        *hdr_cc,
                        ("Subject", "plans"),
                        ("Date", _fmt_date(ms)),
                        ("Message-ID", f"<c{made}@people.example>"),
                    ]
                    tid = add(headers, ms, ["INBOX", "CATEGORY_PERSONAL"], tid)
                    truth.counts([other], ms)
            if drafts and rng.random() < 0.1:
                add([("From", ME), ("To", other), ("Subject", "draft")], ms + 1, ["DRAFT"], tid)
        elif kind < 0.27:  # someone writes to you; you never answer
            other = rng.choice(people)
            headers = [
                ("From", spell(other)),
                ("To", rng.choice([ME, ALIAS])),
                ("Subject", "hello"),
                ("Date", _fmt_date(ms)),
            ]
            add(headers, ms, ["INBOX", "CATEGORY_PERSONAL"], None)
            truth.counts([other], ms)
        elif kind < 0.29:  # you send to a big group (> 10): not contact
            group = rng.sample(people, 12)
            headers = [("From", ME), ("To", ", ".join(group)), ("Date", _fmt_date(ms))]
            add(headers, ms, ["SENT"], None)
        elif kind < 0.31:  # you send with a Bcc: every recipient counts
            to, bcc = rng.sample(people, 2)
            headers = [("From", ME), ("To", to), ("Bcc", bcc), ("Date", _fmt_date(ms))]
            add(headers, ms, ["SENT"], None)
            truth.counts([to, bcc], ms)
        elif kind < 0.32:  # you were Bcc'd: not a conversation with you
            other = rng.choice(people)
            headers = [("From", other), ("To", "team@lists.example"), ("Date", _fmt_date(ms))]
            add(headers, ms, ["INBOX", "CATEGORY_PERSONAL"], None)
        elif kind < 0.34:  # a person's mail through a mailing list in Primary: bulk
            other = rng.choice(people)
            headers = [
                ("From", other),
                ("To", ME),
                ("List-Id", "<team.lists.example>"),
                ("Date", _fmt_date(ms)),
            ]
            add(headers, ms, ["INBOX", "CATEGORY_PERSONAL"], None)
        else:  # newsletters, notifications, promotions: the majority
            sender = rng.choice(senders_bulk)
            category = rng.choice(
                ["CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_SOCIAL", "CATEGORY_FORUMS"]
            )
            tid = None
            for _ in range(rng.choice([1, 1, 1, 2])):
                ms += rng.randrange(1, 86_400_000)
                headers = [
                    ("From", f"Shop <{sender}>"),
                    ("To", ME),
                    ("List-Unsubscribe", "<mailto:unsub@shop.example>"),
                    ("Date", _fmt_date(ms)),
                ]
                tid = add(headers, ms, ["INBOX", category], tid)
    truth.messages = made
    return truth


def plan_minimum(fake: FakeGmail) -> int:
    """The cost model of the connector's plan on this mailbox (2026: threads.get everywhere)."""
    box, costs = fake.mailbox, fake.costs
    sent = {m.thread_id for m in box.messages.values() if "SENT" in m.labels}
    primary = [m for m in box.messages.values() if "CATEGORY_PERSONAL" in m.labels]
    others: dict[str, int] = {}
    for m in primary:
        if m.thread_id not in sent:
            others[m.thread_id] = others.get(m.thread_id, 0) + 1
    units = costs["getProfile"] + costs["sendAs.list"] + costs["labels.get"]
    units += costs["threads.list"] * (len(sent) // 500 + 1) + costs["threads.get"] * len(sent)
    units += costs["messages.list"] * (len(primary) // 500 + 1)
    for n in others.values():
        units += min(costs["threads.get"], n * costs["messages.get"])
    return units


def last_contact_table(interactions: Iterable[Any], max_group: int = 10) -> dict[str, int]:
    """Per correspondent, the newest counting contact (ms): sent to them (group ≤ max_group,
    not bulk) or from them to you (not bulk/automated)."""
    table: dict[str, int] = {}
    for i in interactions:
        if i.bulk or i.automated:
            continue
        if i.direction == "outbound":
            if i.group_size > max_group:
                continue
            who = [p.value for p in i.participants]
        else:
            who = [p.value for p in i.participants if p.role == "from"]
        ms = int(i.occurred_at.timestamp() * 1000)
        for address in who:
            table[address] = max(table.get(address, 0), ms)
    return table
