"""One HTTP session for msal and Graph, and the per-app request limiter.

Graph allows at most 4 concurrent requests per app across every mailbox it reads, and
answers 429/503 with `Retry-After` when pushed. The limiter is process-wide and keyed by
client id, so several Outlook accounts sharing one app registration share its budget.
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from connectors.errors import AuthError, FatalError, RetriableError

MAX_IN_FLIGHT = 4
RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})


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
    """≤ `limit` requests in flight for one app, and a shared pause after `Retry-After`."""

    def __init__(self, limit: int = MAX_IN_FLIGHT) -> None:
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._not_before = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every caller of this app back for `seconds` (the server asked us to)."""
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    @contextmanager
    def slot(self) -> Iterator[None]:
        while True:
            with self._lock:
                wait = self._not_before - time.monotonic()
            if wait <= 0:
                break
            time.sleep(wait)
        with self._slots:
            yield


_LIMITERS: dict[str, AppLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(client_id: str) -> AppLimiter:
    """The one limiter of this process for an app registration."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(client_id)
        if limiter is None:
            limiter = _LIMITERS[client_id] = AppLimiter()
        return limiter


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


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


class GraphClient:
    """GET JSON from Graph with the limiter, token refresh on 401 and retries with backoff."""

    def __init__(
        self,
        account: str,
        session: requests.Session,
        token: Callable[[bool], str],
        limiter: AppLimiter,
        *,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
    ) -> None:
        self.account = account
        self.session = session
        self.token = token
        self.limiter = limiter
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.requests = 0
        self._count_lock = threading.Lock()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def get_json(self, url: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        refreshed = False
        attempt = 0
        while True:
            access_token = self.token(False)
            request_headers = {"Authorization": f"Bearer {access_token}", **(headers or {})}
            try:
                with self.limiter.slot():
                    with self._count_lock:
                        self.requests += 1
                    response = self.session.get(url, headers=request_headers)
            except (requests.ConnectionError, requests.Timeout) as exc:
                attempt += 1
                if attempt >= self.max_attempts:
                    raise RetriableError(self.account, f"Graph unreachable: {exc}") from exc
                time.sleep(self._backoff(attempt))
                continue
            status = response.status_code
            if status == 200:
                body = response.json()
                if not isinstance(body, dict):
                    raise FatalError(self.account, f"Graph answered a non-object for {url}")
                return body
            if status == 401 and not refreshed:
                refreshed = True
                self.token(True)
                continue
            if status == 401:
                raise AuthError(
                    self.account,
                    f"Graph refused the token ({_error_code(response)}); "
                    f"run `keepwarm auth outlook {self.account}`",
                )
            if status == 410:
                raise SyncStateGone(_error_code(response))
            if status in RETRIABLE_STATUS:
                attempt += 1
                if attempt >= self.max_attempts:
                    raise RetriableError(
                        self.account, f"Graph still answers {status} after {attempt} attempts"
                    )
                asked = retry_after(response.headers)
                if asked is not None:
                    delay = min(asked, self.backoff_cap)
                    self.limiter.pause(delay)
                else:
                    delay = self._backoff(attempt)
                time.sleep(delay)
                continue
            if status == 403:
                raise FatalError(
                    self.account,
                    f"Graph denied access ({_error_code(response)}) to {url}; grant the app "
                    "Calendars.Read (and Mail.ReadBasic with include_mail) as delegated "
                    "permissions, or Calendars.Read (and Mail.ReadBasic.All) as application "
                    "permissions",
                )
            raise FatalError(
                self.account, f"Graph answered {status} ({_error_code(response)}) for {url}"
            )
