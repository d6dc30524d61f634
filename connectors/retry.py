"""The one retry layer: every failure is classified once, and only what can succeed is retried.

Every operation that talks to a provider — one Gmail API call or HTTP batch, one Graph GET,
one delivery of the digest to one recipient — runs through `run`, which is the only loop that
retries it (tenacity does the looping). Nothing above retries again: the Prefect tasks have no
retries (a retried task would multiply the attempts: 3 × 3 = 9 deliveries, 3 × 8 Gmail calls),
and client libraries' own retry handlers are off (slack_sdk's, googleapiclient's num_retries).

A failure gets one `Verdict` (singer-sdk's validate_response → Retriable/FatalAPIError, and
airbyte-cdk's one status → RETRY/FAIL/IGNORE table, here as `HTTP_STATUS`):

- TRANSIENT: the operation did not happen and may succeed later (429, 5xx, a refused
  connection, a 4xx SMTP reply): retried with jittered exponential backoff;
- PERMANENT: retrying cannot help (bad credentials, other 4xx, a 5xx SMTP reply): raised at
  once, naming what to fix;
- UNCERTAIN: it may have happened (a timeout or a dropped connection after the request went
  out). Retried only when the operation is idempotent (`Policy.retry_uncertain`, true for
  reads); a send is not retried but recorded as uncertain (delivery's ledger, the
  `--resend-uncertain` recovery).

`Retry-After` is always obeyed: when the server says how long to wait, the next attempt waits
exactly that long (never less, not capped by the backoff), and a wait longer than
`Policy.longest_wait` gives up at once with the server's figure instead of sleeping for hours.

A source plugs in with its own classifier (`Callable[[BaseException], Decision]`, usually
`status_verdict` over its status table plus its own reasons) and a `Policy`; `tenacity_kwargs`
gives the same behaviour to code that builds its own `tenacity.Retrying`.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying

T = TypeVar("T")
_RNG = random.Random()


class Verdict(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True, slots=True)
class Decision:
    """What one failure means: its verdict, why (for messages), and the server's wait."""

    verdict: Verdict
    reason: str = ""
    retry_after: float | None = None
    throttled: bool = False  # the server said "slow down" (429, a rate-limit reason)


# One status → verdict table for HTTP APIs (airbyte's RETRY/FAIL): anything not listed is
# transient when 5xx, permanent otherwise. Sources extend it with their own reasons (Gmail's
# 403 rateLimitExceeded) in their classifier.
HTTP_STATUS: Mapping[int, Verdict] = {
    408: Verdict.TRANSIENT,  # request timeout: the server did not act on it
    425: Verdict.TRANSIENT,
    429: Verdict.TRANSIENT,
    500: Verdict.TRANSIENT,
    502: Verdict.TRANSIENT,
    503: Verdict.TRANSIENT,
    504: Verdict.TRANSIENT,
}


def status_verdict(status: int, table: Mapping[int, Verdict] = HTTP_STATUS) -> Verdict:
    if status in table:
        return table[status]
    return Verdict.TRANSIENT if 500 <= status < 600 else Verdict.PERMANENT


def retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a `Retry-After` value (delta-seconds or an HTTP date); None if absent."""
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
    return max(0.0, when.timestamp() - now())


def header(headers: Any, name: str) -> str | None:
    """A header from a requests/httplib2/urllib mapping, whatever its case handling."""
    if headers is None:
        return None
    for key in (name, name.lower()):
        try:
            value = headers.get(key)
        except AttributeError:
            return None
        if value:
            return str(value)
    return None


@dataclass(frozen=True, slots=True)
class Policy:
    """How hard to try one operation. `attempts` counts every try, the first included; with
    `progress` (see `run`) it counts tries in a row that made no progress."""

    attempts: int = 8
    base: float = 1.0  # first backoff ceiling, seconds; doubles per failure
    cap: float = 60.0  # backoff ceiling (a server's Retry-After is not capped)
    longest_wait: float = 900.0  # a Retry-After above this gives up at once
    retry_uncertain: bool = True  # idempotent operations (reads) retry UNCERTAIN too

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """Full-jitter exponential backoff for the `failures`-th failure in a row (1-based)."""
        ceiling = min(self.cap, self.base * 2.0 ** max(failures - 1, 0))
        jitter: float = (rng or _RNG).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter

    def retries(self, decision: Decision) -> bool:
        if decision.verdict is Verdict.PERMANENT:
            return False
        if decision.verdict is Verdict.UNCERTAIN and not self.retry_uncertain:
            return False
        return decision.retry_after is None or decision.retry_after <= self.longest_wait


ONCE = Policy(attempts=1)


class GaveUp(Exception):
    """An operation failed for good: `decision` of the last failure, after `attempts`."""

    def __init__(self, decision: Decision, attempts: int, cause: BaseException) -> None:
        super().__init__(decision.reason or str(cause) or type(cause).__name__)
        self.decision, self.attempts, self.cause = decision, attempts, cause


Classify = Callable[[BaseException], Decision]
OnRetry = Callable[[Decision, int, float], None]  # (decision, failures so far, wait in s)


class _Loop:
    """The state one `run` shares with tenacity's callbacks."""

    def __init__(
        self,
        classify: Classify,
        policy: Policy,
        on_retry: OnRetry | None,
        progress: Callable[[], bool] | None,
    ) -> None:
        self.classify, self.policy, self.on_retry, self.progress = (
            classify,
            policy,
            on_retry,
            progress,
        )
        self.decision = Decision(Verdict.PERMANENT)
        self.streak = 0  # failures in a row without progress

    def retry(self, state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        error = outcome.exception()
        assert error is not None
        if not isinstance(error, Exception):
            return False  # KeyboardInterrupt, SystemExit: never swallowed
        self.decision = self.classify(error)
        if self.progress is not None and self.progress():
            self.streak = 0
        self.streak += 1
        return self.policy.retries(self.decision)

    def stop(self, _state: RetryCallState) -> bool:
        return self.streak >= self.policy.attempts

    def wait(self, _state: RetryCallState) -> float:
        asked = self.decision.retry_after
        return float(asked) if asked is not None else self.policy.backoff(self.streak)

    def before_sleep(self, state: RetryCallState) -> None:
        if self.on_retry is not None:
            self.on_retry(self.decision, self.streak, state.upcoming_sleep)


def run(
    attempt: Callable[[], T],
    classify: Classify,
    policy: Policy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: OnRetry | None = None,
    progress: Callable[[], bool] | None = None,
) -> tuple[T, int]:
    """Call `attempt` until it returns; (its result, attempts made). Raises GaveUp with the
    last failure's decision when that failure is not retried or the attempts are spent.

    `progress`, when given, is asked after each failure whether the attempt got part of the
    work done (a Gmail HTTP batch whose other parts succeeded): the count of attempts then
    starts again, so a long job that keeps moving is never abandoned half-way."""
    loop = _Loop(classify, policy, on_retry, progress)
    retrying = Retrying(
        retry=loop.retry,
        stop=loop.stop,
        wait=loop.wait,
        sleep=sleep,
        before_sleep=loop.before_sleep,
        reraise=True,
    )
    tries = 0

    def counted() -> T:
        nonlocal tries
        tries += 1
        return attempt()

    try:
        return retrying(counted), tries
    except Exception as error:
        if loop.decision.verdict is Verdict.PERMANENT and loop.decision.reason == "":
            loop.decision = classify(error)
        raise GaveUp(loop.decision, tries, error) from error


def tenacity_kwargs(
    classify: Classify, policy: Policy, *, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """The same behaviour for code that builds its own `tenacity.Retrying(**kwargs)`
    (the last failure is re-raised as is, not wrapped in GaveUp)."""
    loop = _Loop(classify, policy, None, None)
    return {
        "retry": loop.retry,
        "stop": loop.stop,
        "wait": loop.wait,
        "sleep": sleep,
        "reraise": True,
    }
