"""What the loopback Google fakes (Calendar v3, People v1) share: the HTTP server in a thread,
the request pipeline (route → OAuth check → faults → per-user quota → handler → `fields`),
Google's two JSON error shapes, switchable faults, a skippable clock and request counters.

Faithful: real HTTP on 127.0.0.1 (so google-api-python-client and google-auth talk to it
unchanged), `Authorization: Bearer` checks against `GoogleOAuth`, 401 with
`WWW-Authenticate`, 403 `insufficientPermissions` + `ACCESS_TOKEN_SCOPE_INSUFFICIENT` when the
token lacks every scope the method accepts (the method's scopes as listed in the discovery
document), rate-limit and 5xx bodies as Google writes them, `Retry-After` when asked for,
partial responses (`fields`). An unrouted path answers Google's bare HTML 404.

Not modelled: batch endpoints, gzip, ETag/If-None-Match (304), API keys, quota per project,
request bodies (these fakes are read-only APIs plus test-side mutators).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.gmail_server import _merge_select

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from tests.fakes.google_oauth import AuthFailure, GoogleOAuth

Response = tuple[int, dict[str, str], bytes]
Query = dict[str, list[str]]

JSON_TYPE = "application/json; charset=UTF-8"
NOT_FOUND_HTML = (
    b"<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    b"  <title>Error 404 (Not Found)!!1</title>\n"
    b"  <p><b>404.</b> <ins>That\xe2\x80\x99s an error.</ins>\n"
    b"  <p>The requested URL was not found on this server."
    b"  <ins>That\xe2\x80\x99s all we know.</ins>\n"
)


class SimClock:
    """Monotonic seconds plus whatever was skipped, and the wall time that goes with them.

    `advance` always skips (a week of sync-token age in no time); `sleep` skips only when
    `virtual`, so a client's backoff can run on it too. Same `now`/`sleep` shape as the Gmail
    fake's `Clock`.
    """

    def __init__(self, start: datetime | None = None, *, virtual: bool = False) -> None:
        self.start = (start or datetime.now(UTC)).astimezone(UTC)
        self.virtual = virtual
        self._origin = time.monotonic()
        self._skipped = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.monotonic() - self._origin + self._skipped

    def wall(self) -> datetime:
        """The fake's idea of the current UTC time."""
        return self.start + timedelta(seconds=self.now())

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._skipped += max(0.0, seconds)

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.virtual:
            self.advance(seconds)
        else:
            time.sleep(seconds)


class ApiError(Exception):
    """A non-2xx answer with Google's JSON body (and any extra headers)."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("error", {}).get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}

    @property
    def reason(self) -> str:
        errors = self.body.get("error", {}).get("errors") or [{}]
        return str(errors[0].get("reason", ""))


RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def legacy_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> ApiError:
    """The classic Google JSON error (Calendar's documented shape): `errors[]`, code, message."""
    item: dict[str, Any] = {"domain": domain, "reason": reason, "message": message}
    if location is not None:
        item["locationType"] = location_type or "parameter"
        item["location"] = location
    body = {"error": {"errors": [item], "code": status, "message": message}}
    return ApiError(status, body, headers)


def rpc_error(
    status: int,
    message: str,
    *,
    rpc_status: str | None = None,
    reason: str | None = None,
    info_reason: str | None = None,
    info_domain: str = "googleapis.com",
    metadata: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> ApiError:
    """The newer shape (People API and every API's auth/scope errors): code, message,
    `errors[]` (legacy reason, when the front end adds one), `status` and
    `details[google.rpc.ErrorInfo]`."""
    error: dict[str, Any] = {"code": status, "message": message}
    if reason is not None:
        error["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    error["status"] = rpc_status or RPC_STATUS.get(status, "UNKNOWN")
    if info_reason is not None:
        info: dict[str, Any] = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": info_reason,
            "domain": info_domain,
        }
        if metadata:
            info["metadata"] = metadata
        error["details"] = [info]
    return ApiError(status, {"error": error}, headers)


def scope_error(service: str, method: str) -> ApiError:
    """What any Google API answers a token that lacks the method's scopes."""
    err = rpc_error(
        403,
        "Request had insufficient authentication scopes.",
        rpc_status="PERMISSION_DENIED",
        info_reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        metadata={"service": service, "method": method},
        headers={
            "WWW-Authenticate": (
                'Bearer realm="https://accounts.google.com/", error="insufficient_scope", '
                'scope="' + service + '"'
            )
        },
    )
    err.body["error"]["errors"] = [
        {
            "message": "Insufficient Permission",
            "domain": "global",
            "reason": "insufficientPermissions",
        }
    ]
    # Keep Google's key order: code, message, errors, status, details.
    e = err.body["error"]
    err.body["error"] = {k: e[k] for k in ("code", "message", "errors", "status", "details")}
    return err


@dataclass
class Faults:
    """Switch these on from a test; counts decrement as faults are served.

    `rate_limited` answers the next N API calls with `rate_limit`: "429" (HTTP 429
    rateLimitExceeded / RESOURCE_EXHAUSTED), or "rateLimitExceeded", "userRateLimitExceeded",
    "quotaExceeded" (HTTP 403 with that reason). `retry_after` adds a Retry-After header.
    `methods`, when set, confines faults to those API method names (e.g. {"events.list"}).
    """

    errors_5xx: int = 0
    status_5xx: int = 503  # 500 backendError or 503
    rate_limited: int = 0
    rate_limit: str = "429"
    retry_after: float | None = None
    methods: frozenset[str] | None = None
    expire_tokens_after: int | None = None  # after N more API requests, tokens expire
    delay: float = 0.0  # seconds added to every HTTP request
    on_call: Callable[[str], None] | None = None  # run before each API call is served

    def applies(self, method: str) -> bool:
        return self.methods is None or method in self.methods


@dataclass
class Stats:
    """Counters for tests and the bench. `calls`/`items` count answered calls and the resources
    they returned; `attempts` every routed request (faults and auth failures included)."""

    http_requests: int = 0
    attempts: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    items: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    by_user: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    peak_in_flight: int = 0

    def per_thousand(self, method: str, items_of: str | None = None) -> float:
        """HTTP requests of `method` (every attempt) per 1,000 resources it returned."""
        served = self.items[items_of or method]
        return 1000.0 * self.attempts[method] / served if served else float("inf")

    def reset(self) -> None:
        self.http_requests = 0
        for counter in (self.attempts, self.calls, self.items, self.rejected, self.by_user):
            counter.clear()
        self.peak_in_flight = self.in_flight


class Bucket:
    """Per-user request limiter: `rate` requests/s with `capacity` of burst."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate, self.capacity, self.clock = rate, capacity, clock
        self.tokens = capacity
        self.stamp = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False


@dataclass(frozen=True)
class Route:
    verb: str
    pattern: str  # a regex over the path (after the server's prefix), groups → handler args
    name: str  # e.g. "events.list"
    rpc: str  # e.g. "calendar.v3.Events.List" (ErrorInfo metadata.method)
    scopes: frozenset[str]
    handler: Callable[..., dict[str, Any]]


@dataclass
class Call:
    """One API call as the handler sees it."""

    name: str
    user: str
    query: Query
    args: tuple[str, ...]

    def one(self, key: str, default: str | None = None) -> str | None:
        values = self.query.get(key)
        return values[-1] if values else default

    def flag(self, key: str) -> bool | None:
        value = self.one(key)
        return None if value is None else value.lower() == "true"


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def rfc3339(moment: datetime) -> str:
    """Google's `updated`/`created` format: UTC with milliseconds and Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class GoogleFake:
    """Base of an API fake: lifecycle, OAuth endpoints, the call pipeline. Subclasses set
    `service` (ErrorInfo service name), `prefix` (the servicePath) and `routes()`, and may
    override the error shapes."""

    service = "googleapis.com"
    prefix = "/"
    quota_kind = "rateLimitExceeded"  # what the per-user limiter answers (a Faults kind)

    def __init__(
        self,
        *,
        oauth: GoogleOAuth | None,
        clock: SimClock | None,
        requests_per_minute: float | None,
        default_scopes: tuple[str, ...],
        address: str,
    ) -> None:
        from tests.fakes.google_oauth import GoogleOAuth

        self.clock = clock or (oauth.clock if oauth is not None else SimClock())
        self.oauth = oauth or GoogleOAuth(clock=self.clock)
        self.address = address.lower()
        self.oauth.ensure_grant(self.address, default_scopes)
        self.requests_per_minute = requests_per_minute
        self.buckets: dict[str, Bucket] = {}
        self.faults = Faults()
        self.stats = Stats()
        self.crashes: list[str] = []  # tracebacks of handler bugs (answered as 500)
        self.lock = threading.RLock()
        self._routes = self.routes()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        if self.oauth.token_uri is None:
            self.oauth.token_uri = self.root_url + "/token"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """The host part, the analogue of https://www.googleapis.com (no trailing slash)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def endpoint(self) -> str:
        """What to pass as `client_options={"api_endpoint": …}`: it replaces the discovery
        document's rootUrl + servicePath, so it includes the servicePath."""
        return self.root_url + self.prefix

    @property
    def token_uri(self) -> str:
        assert self.oauth.token_uri is not None
        return self.oauth.token_uri

    # -- credentials (delegating to the shared OAuth server) ---------------------------

    def credentials(self, **kw: Any) -> Credentials:
        kw.setdefault("user", self.address)
        return self.oauth.credentials(**kw)

    def authorized_user_info(self, **kw: Any) -> dict[str, Any]:
        kw.setdefault("user", self.address)
        return self.oauth.authorized_user_info(**kw)

    def client_secrets(self) -> dict[str, Any]:
        """An installed-app client secrets file (google-auth-oauthlib) for this fake."""
        return self.oauth.client_secrets(self.root_url + "/o/oauth2/auth")

    @property
    def revoke_uri(self) -> str:
        """POST `token=…` here to revoke a grant, like https://oauth2.googleapis.com/revoke."""
        return self.token_uri.rsplit("/", 1)[0] + "/revoke"

    # -- fault switches ----------------------------------------------------------------

    def storm(
        self,
        count: int,
        kind: str = "429",
        *,
        retry_after: float | None = None,
        methods: set[str] | None = None,
    ) -> None:
        """The next `count` calls are rate limited (see `Faults.rate_limit` for `kind`)."""
        with self.lock:
            self.faults.rate_limited = count
            self.faults.rate_limit = kind
            self.faults.retry_after = retry_after
            self.faults.methods = frozenset(methods) if methods else None

    def burst_5xx(self, count: int, status: int = 503, *, methods: set[str] | None = None) -> None:
        with self.lock:
            self.faults.errors_5xx = count
            self.faults.status_5xx = status
            self.faults.methods = frozenset(methods) if methods else None

    def expire_access_tokens_after(self, requests: int) -> None:
        """Every access token handed out so far dies after `requests` more API requests."""
        with self.lock:
            self.faults.expire_tokens_after = requests

    # -- error shapes (override per API) ------------------------------------------------

    def auth_error(self, failure: AuthFailure) -> ApiError:
        """401 as Google's front end writes it today (every API): no token, or a bad one."""
        realm = 'Bearer realm="https://accounts.google.com/"'
        if failure.kind == "missing":
            err = rpc_error(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                info_reason="CREDENTIALS_MISSING",
                metadata={"service": self.service},
                headers={"WWW-Authenticate": realm},
            )
            legacy = {"message": "Login Required.", "reason": "required"}
        else:
            err = rpc_error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                info_reason="ACCESS_TOKEN_EXPIRED" if failure.kind == "expired" else None,
                metadata={"service": self.service},
                headers={"WWW-Authenticate": realm + ', error="invalid_token"'},
            )
            legacy = {"message": "Invalid Credentials", "reason": "authError"}
        e = err.body["error"]
        item = {**legacy, "domain": "global", "location": "Authorization", "locationType": "header"}
        err.body["error"] = {"code": 401, "message": e["message"], "errors": [item],
                             **{k: e[k] for k in ("status", "details") if k in e}}  # fmt: skip
        return err

    def rate_error(self, kind: str, retry_after: float | None) -> ApiError:
        headers = {"Retry-After": _seconds(retry_after)} if retry_after is not None else {}
        if kind == "429":
            return legacy_error(
                429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits",
                headers=headers,
            )  # fmt: skip
        message = {
            "rateLimitExceeded": "Rate Limit Exceeded",
            "userRateLimitExceeded": "User Rate Limit Exceeded",
            "quotaExceeded": "Calendar usage limits exceeded.",
        }[kind]
        return legacy_error(403, kind, message, domain="usageLimits", headers=headers)

    def server_error(self, status: int) -> ApiError:
        if status == 500:
            return legacy_error(500, "backendError", "Backend Error")
        return legacy_error(status, "backendError", "The service is currently unavailable.")

    # -- the pipeline ------------------------------------------------------------------

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(url)
        served = self.oauth.handle(method, parts.path, parts.query, headers, body)
        if served is not None:
            return served
        with self.lock:
            self.stats.http_requests += 1
            self.stats.in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self.stats.in_flight)
        try:
            return self._api(method, parts.path, parts.query, headers)
        finally:
            with self.lock:
                self.stats.in_flight -= 1

    def _route(self, method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.prefix) :]
        for route in self._routes:
            match = re.fullmatch(route.pattern, rest)
            if match and route.verb == method:
                return route, tuple(unquote(g) for g in match.groups())
        return None

    def _api(self, method: str, path: str, raw_query: str, headers: dict[str, str]) -> Response:
        from tests.fakes.google_oauth import AuthFailure

        found = self._route(method, path)
        if found is None:
            with self.lock:
                self.stats.rejected["404"] += 1
            return 404, {"Content-Type": "text/html; charset=UTF-8"}, NOT_FOUND_HTML
        route, args = found
        query = parse_qs(raw_query, keep_blank_values=True)
        with self.lock:
            self.stats.attempts[route.name] += 1
        try:
            with self.lock:
                if self.faults.expire_tokens_after is not None:
                    self.faults.expire_tokens_after -= 1
                    if self.faults.expire_tokens_after < 0:
                        self.faults.expire_tokens_after = None
                        self.oauth.expire_access_tokens()
            auth = headers.get("authorization", "")
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            try:
                token = self.oauth.check(bearer, route.scopes)
            except AuthFailure as failure:
                with self.lock:
                    self.stats.rejected["401" if failure.kind != "scope" else "scope"] += 1
                if failure.kind == "scope":
                    raise scope_error(self.service, route.rpc) from None
                raise self.auth_error(failure) from None
            if self.faults.on_call is not None:
                self.faults.on_call(route.name)
            self._faults(route.name, token.user)
            call = Call(route.name, token.user, query, args)
            with self.lock:
                result = route.handler(call, *args)
                self.stats.calls[route.name] += 1
                self.stats.by_user[token.user] += 1
            fields = call.one("fields")
            if fields:
                result = _merge_select(result, fields)
            return _json(200, result)
        except ApiError as err:
            with self.lock:
                if err.status in (400, 404, 410):
                    self.stats.rejected[str(err.status)] += 1
            return _json(err.status, err.body, err.headers)
        except Exception:  # a bug in the fake: answer 500 and keep the traceback for the test
            import traceback

            with self.lock:
                self.crashes.append(traceback.format_exc())
            return _json(500, self.server_error(500).body)

    def _faults(self, name: str, user: str) -> None:
        with self.lock:
            f = self.faults
            if f.errors_5xx > 0 and f.applies(name):
                f.errors_5xx -= 1
                self.stats.rejected["5xx"] += 1
                raise self.server_error(f.status_5xx)
            if f.rate_limited > 0 and f.applies(name):
                f.rate_limited -= 1
                self.stats.rejected[f.rate_limit] += 1
                raise self.rate_error(f.rate_limit, f.retry_after)
            if self.requests_per_minute:
                bucket = self.buckets.get(user)
                if bucket is None:
                    rate = self.requests_per_minute / 60.0
                    bucket = self.buckets[user] = Bucket(rate, max(1.0, rate), self.clock.now)
                if not bucket.take():
                    self.stats.rejected["quota"] += 1
                    raise self.rate_error(self.quota_kind, None)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _json(status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": JSON_TYPE, **(headers or {})}
    return status, out, json.dumps(value).encode()


def _make_handler(fake: GoogleFake) -> type[BaseHTTPRequestHandler]:
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
