"""One HTTP session for msal and Graph, and the per-app request limiter.

Graph allows at most 4 concurrent requests per app across every mailbox it reads, at most
10,000 requests per 10 minutes to one mailbox, and answers 429/503 with `Retry-After` when
pushed (obeyed by the one retry layer, connectors.retry). The limiter is process-wide and keyed by
client id, so several Outlook accounts sharing one app registration share its budget.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from connectors import retry
from connectors.errors import AuthError, ConnectorError, FatalError, RetriableError
from connectors.retry import Decision, Policy, Verdict, retry_after, status_verdict

MAX_IN_FLIGHT = 4
MAILBOX_BUDGET = 10_000  # Graph: requests per mailbox per 10 minutes, all apps together
MAILBOX_PERIOD_S = 600.0


def ca_bundle() -> str | bool:
    """The CA file the user configured (corporate proxies, test fakes), else requests' default."""
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        value = os.environ.get(name)
        if value:
            return value
    return True


class CASession(requests.Session):
    """A Session whose CA choice is fixed at creation, whatever else the environment says.

    requests lets `CURL_CA_BUNDLE` override a session's `verify`; pinning it per request
    keeps msal's calls and ours on the same, explicitly chosen trust store.
    """

    def __init__(self, timeout: float = 60.0) -> None:
        super().__init__()
        self.verify = ca_bundle()
        self.timeout = timeout
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=2 * MAX_IN_FLIGHT)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("verify", self.verify)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class AppLimiter:
    """≤ `limit` requests in flight for one app, a shared pause after `Retry-After`, and
    Graph's per-mailbox budget: at most `per_mailbox` requests in any `period` seconds to one
    mailbox (10,000 per 10 minutes), so org mode over many mailboxes never meets that 429."""

    def __init__(
        self,
        limit: int = MAX_IN_FLIGHT,
        *,
        per_mailbox: int = MAILBOX_BUDGET,
        period: float = MAILBOX_PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._not_before = 0.0
        self.per_mailbox, self.period = per_mailbox, period
        self.clock, self.sleep = clock, sleep
        self._sent: dict[str, deque[float]] = {}
        self.budget_waits = 0  # times a mailbox's budget made a request wait

    def pause(self, seconds: float) -> None:
        """Hold every caller of this app back for `seconds` (the server asked us to)."""
        with self._lock:
            self._not_before = max(self._not_before, self.clock() + seconds)

    def _budget_wait(self, mailbox: str) -> float:
        """Seconds until `mailbox` may take one more request (0: now, and it is counted)."""
        now = self.clock()
        sent = self._sent.setdefault(mailbox, deque())
        while sent and sent[0] <= now - self.period:
            sent.popleft()
        if len(sent) < self.per_mailbox:
            sent.append(now)
            return 0.0
        return sent[0] + self.period - now

    @contextmanager
    def slot(self, mailbox: str = "") -> Iterator[None]:
        while True:
            with self._lock:
                wait = self._not_before - self.clock()
                if wait <= 0:
                    wait = self._budget_wait(mailbox)
                    if wait > 0:
                        self.budget_waits += 1
            if wait <= 0:
                break
            self.sleep(wait)
        with self._slots:
            yield


def mailbox_of(url: str) -> str:
    """The mailbox a Graph URL reads: `/me` or `/users/{id}` (its budget's key)."""
    path = urlsplit(url).path
    for marker in ("/users/", "/me/", "/me"):
        at = path.find(marker)
        if at == -1:
            continue
        if marker == "/users/":
            rest = path[at + len(marker) :]
            return "users/" + unquote(rest.split("/", 1)[0]).lower()
        return "me"
    return ""


_LIMITERS: dict[str, AppLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(client_id: str) -> AppLimiter:
    """The one limiter of this process for an app registration."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(client_id)
        if limiter is None:
            limiter = _LIMITERS[client_id] = AppLimiter()
        return limiter


class SyncStateGone(Exception):
    """410 Gone: the delta or skip token expired; the caller restarts the round."""


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code") or "")
    return str(error or "")


# Graph reads are idempotent: 8 attempts, backoff 1, 2, 4 … 60 s, and Retry-After obeyed.
READS = Policy(attempts=8, base=1.0, cap=60.0)


class _Refresh(Exception):
    """A first 401: the token is refreshed and the request tried again at once."""


class GraphClient:
    """GET JSON from Graph through the limiter and the one retry layer (connectors.retry)."""

    def __init__(
        self,
        account: str,
        session: requests.Session,
        token: Callable[[bool], str],
        limiter: AppLimiter,
        *,
        max_attempts: int = READS.attempts,
        backoff_base: float = READS.base,
        backoff_cap: float = READS.cap,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.session = session
        self.token = token
        self.limiter = limiter
        self.policy = replace(READS, attempts=max_attempts, base=backoff_base, cap=backoff_cap)
        self.sleep = sleep
        self.requests = 0
        self._count_lock = threading.Lock()

    def decision(self, error: BaseException) -> Decision:
        """Graph's classification: 429/5xx transient (Retry-After obeyed), a first 401 a
        refresh, 410 the caller's (a new round), other 4xx permanent; a refused connection
        transient, a timeout or reset uncertain (retried: reads are idempotent)."""
        if isinstance(error, _Refresh):
            return Decision(Verdict.TRANSIENT, "token refreshed", retry_after=0.0)
        if isinstance(error, _Status):
            response = error.response
            asked = retry_after(response.headers.get("Retry-After"))
            verdict = status_verdict(response.status_code)
            reason = f"Graph answered {response.status_code} ({_error_code(response)})"
            return Decision(verdict, reason, asked, throttled=response.status_code == 429)
        if isinstance(error, requests.ConnectionError) and "NewConnectionError" in repr(error):
            return Decision(Verdict.TRANSIENT, f"Graph unreachable: {error}")  # never sent
        if isinstance(error, requests.ConnectionError | requests.Timeout):
            return Decision(Verdict.UNCERTAIN, f"Graph unreachable: {error}")
        return Decision(Verdict.PERMANENT, str(error))

    def _paused(self, seen: Decision, _failures: int, wait: float) -> None:
        if seen.retry_after is not None and seen.retry_after > 0:
            self.limiter.pause(wait)  # every request of this app waits, not just this one

    def get_json(self, url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        refreshed = False
        mailbox = mailbox_of(url)

        def attempt() -> dict[str, Any]:
            nonlocal refreshed
            access_token = self.token(False)
            request_headers = {"Authorization": f"Bearer {access_token}", **(headers or {})}
            with self.limiter.slot(mailbox):
                with self._count_lock:
                    self.requests += 1
                response = self.session.get(url, headers=request_headers)
            status = response.status_code
            if status == 200:
                body = response.json()
                if not isinstance(body, dict):
                    raise FatalError(self.account, f"Graph answered a non-object for {url}")
                return body
            if status == 401 and not refreshed:
                refreshed = True
                self.token(True)
                raise _Refresh()
            if status == 401:
                raise AuthError(
                    self.account,
                    f"Graph refused the token ({_error_code(response)}); "
                    f"run `keepwarm auth outlook {self.account}`",
                )
            if status == 410:
                raise SyncStateGone(_error_code(response))
            raise _Status(response)

        try:
            body, _ = retry.run(
                attempt, self.decision, self.policy, sleep=self.sleep, on_retry=self._paused
            )
        except retry.GaveUp as gave:
            raise self._error(gave, url) from gave.cause
        return body

    def _error(self, gave: retry.GaveUp, url: str) -> Exception:
        cause, seen = gave.cause, gave.decision
        if not isinstance(cause, _Status):
            if isinstance(cause, ConnectorError | SyncStateGone):
                return cause
            if seen.verdict is Verdict.PERMANENT:
                return FatalError(self.account, f"Graph request failed: {seen.reason}")
            return RetriableError(self.account, f"{seen.reason} (after {gave.attempts} attempts)")
        response = cause.response
        status = response.status_code
        if seen.verdict is not Verdict.PERMANENT:
            if seen.retry_after is not None and seen.retry_after > self.policy.longest_wait:
                return RetriableError(
                    self.account,
                    f"Graph answers {status} and asks to wait {seen.retry_after:.0f} s; "
                    "try again later",
                )
            return RetriableError(
                self.account, f"Graph still answers {status} after {gave.attempts} attempts"
            )
        if status == 403:
            return FatalError(
                self.account,
                f"Graph denied access ({_error_code(response)}) to {url}; grant the app "
                "Calendars.Read (and Mail.ReadBasic with include_mail) as delegated "
                "permissions, or Calendars.Read (and Mail.ReadBasic.All) as application "
                "permissions",
            )
        return FatalError(
            self.account, f"Graph answered {status} ({_error_code(response)}) for {url}"
        )


class _Status(Exception):
    """A Graph answer other than 200/401/410, for the classifier."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
