"""Gmail's per-user quota: cost tables, a client-side token bucket, and which errors retry.

Batching saves round trips, not quota: every call inside a batch is charged on its own. So the
client paces itself with a token bucket sized to the account's units/second and only retries
what Google says is transient (429, 403 rate limits, 5xx), with jittered exponential backoff.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from googleapiclient.errors import HttpError

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


def is_retriable(err: HttpError) -> bool:
    """429, 403 rate limits and 5xx are transient; everything else needs a person."""
    status = int(err.resp.status)
    if status == 429 or status >= 500:
        return True
    return status == 403 and error_reason(err) in RATE_LIMIT_REASONS


class Backoff:
    """Full-jitter exponential backoff: 1, 2, 4 … seconds (capped), randomised."""

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 32.0,
        attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base, self.cap, self.attempts, self.sleep = base, cap, attempts, sleep
        self.rng = rng or random.Random()

    def wait(self, attempt: int) -> None:
        ceiling = min(self.cap, self.base * 2**attempt)
        self.sleep(ceiling / 2 + self.rng.uniform(0, ceiling / 2))
