"""Gmail's per-user quota: cost tables, a client-side token bucket, and which errors retry.

Batching saves round trips, not quota: every call inside a batch is charged on its own. So the
client paces itself with a token bucket sized to the account's units/second, and `decision`
tells the one retry layer (connectors.retry) what Google says is transient (429, 403 rate
limits, 5xx).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from connectors.retry import Decision, Verdict, header, retry_after, status_verdict

COSTS: dict[str, dict[str, int]] = {
    # Projects created before May 2026 (documented per-method units; 250 units/s per user).
    "legacy": {
        "getProfile": 1,
        "messages.list": 5,
        "messages.get": 5,
        "threads.list": 10,
        "threads.get": 10,
        "history.list": 2,
        "sendAs.list": 1,
        "labels.get": 1,
        "messages.send": 100,
    },
    # Projects created since May 2026: 6,000 units/min (100/s) and messages.get costs 20.
    "2026": {
        "getProfile": 1,
        "messages.list": 5,
        "messages.get": 20,
        "threads.list": 10,
        "threads.get": 10,
        "history.list": 2,
        "sendAs.list": 1,
        "labels.get": 1,
        "messages.send": 100,
    },
}
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


@dataclass
class Meter:
    """What a run spent: units, HTTP requests and API calls, for the progress bar and summary."""

    units: int = 0
    http_requests: int = 0
    calls: int = 0
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def charge(self, method: str, units: int) -> None:
        self.units += units
        self.calls += 1
        self.by_method[method] = self.by_method.get(method, 0) + 1


class TokenBucket:
    """Continuous-refill bucket; `take` blocks (via the injected sleep) until units are there.

    `clock`/`sleep` are injectable so the bench can run hours of quota on a virtual clock.
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = max(capacity, 1.0)
        self.clock, self.sleep = clock, sleep
        self.tokens = self.capacity
        self.stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, units: float) -> None:
        """Wait until `units` (capped at capacity) are available, then spend them."""
        if self.rate <= 0:
            return
        need = min(units, self.capacity)
        with self._lock:
            self._refill()
            while self.tokens < need:
                self.sleep((need - self.tokens) / self.rate)
                self._refill()
            self.tokens -= units

    def drain(self) -> None:
        """After a 429 the server's view is emptier than ours: start again from zero."""
        with self._lock:
            self._refill()
            self.tokens = min(self.tokens, 0.0)


def error_reason(err: HttpError) -> str:
    try:
        body = json.loads(err.content.decode("utf-8", "replace"))
        errors = body.get("error", {}).get("errors") or [{}]
        return str(errors[0].get("reason", ""))
    except (ValueError, AttributeError):
        return ""


def decision(error: BaseException) -> Decision:
    """Gmail's classification for the retry layer (connectors.retry): 429, 403 rate limits and
    5xx are transient (and throttle the bucket), Retry-After obeyed; 401 and other 4xx are
    permanent; a refused connection did not reach Google (transient); a timeout or a dropped
    connection may have (uncertain: retried for reads, not for messages.send)."""
    if isinstance(error, HttpError):
        status = int(error.resp.status)
        reason = error_reason(error)
        asked = retry_after(header(error.resp, "retry-after"))
        label = f"Gmail answered {status} {reason}".strip()
        if status == 403 and reason in RATE_LIMIT_REASONS:
            return Decision(Verdict.TRANSIENT, label, asked, throttled=True)
        verdict = status_verdict(status)
        return Decision(verdict, label, asked, throttled=status == 429)
    if isinstance(error, RefreshError):
        return Decision(Verdict.PERMANENT, "the grant could not be refreshed")
    if isinstance(error, ConnectionRefusedError):
        return Decision(Verdict.TRANSIENT, f"Gmail unreachable: {error}")
    if isinstance(error, TimeoutError | httplib2.HttpLib2Error | OSError | TransportError):
        return Decision(Verdict.UNCERTAIN, f"Gmail unreachable: {type(error).__name__}: {error}")
    return Decision(Verdict.PERMANENT, f"{type(error).__name__}: {error}")
