"""How a delivery is retried: one send of the digest to one recipient is one operation of the
shared retry layer (connectors.retry), with the classification its sender gives the failure.

Transient (SMTP 4xx, a refused connection, HTTP 429/5xx — Retry-After obeyed) is retried with
exponential backoff; permanent (auth, TLS, 5xx replies, a removed webhook) fails at once;
uncertain (the connection dropped or timed out after the message went out) is never resent
blindly: the ledger records it and `keepwarm report --deliver … --resend-uncertain` resends
exactly those recipients.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from connectors import retry
from connectors.retry import Decision, Policy, Verdict

log = logging.getLogger(__name__)


class SendError(Exception):
    """One failed send, classified by its sender (`verdict`), with the server's wait if any."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool | None = None,
        verdict: Verdict | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        if verdict is None:
            verdict = Verdict.TRANSIENT if transient else Verdict.PERMANENT
        self.verdict = verdict
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.verdict is Verdict.TRANSIENT


class GaveUp(Exception):
    """The send still failed after `attempts` tries, failed for good at once, or may have
    gone out (`verdict` UNCERTAIN)."""

    def __init__(self, cause: str, attempts: int, verdict: Verdict = Verdict.PERMANENT) -> None:
        super().__init__(cause)
        self.cause = cause
        self.attempts = attempts
        self.verdict = verdict


def classify(error: BaseException) -> Decision:
    if isinstance(error, SendError):
        return Decision(error.verdict, str(error), error.retry_after)
    # Not classified by the sender: it may have been sent — never resend it blindly.
    return Decision(Verdict.UNCERTAIN, f"{type(error).__name__}: {error}")


def with_retries(
    send: Callable[[], None],
    *,
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call `send` until it succeeds; returns the number of attempts it took."""
    if attempts < 1:
        raise GaveUp("no attempts allowed", 0)
    policy = Policy(
        attempts=attempts,
        base=backoff_seconds,
        cap=max(backoff_seconds * 8, backoff_seconds),
        retry_uncertain=False,
    )

    def told(seen: Decision, failures: int, wait: float) -> None:
        log.warning(
            "send failed (%s); attempt %d of %d in %.1fs", seen.reason, failures + 1, attempts, wait
        )

    try:
        _, tries = retry.run(send, classify, policy, sleep=sleep, on_retry=told)
    except retry.GaveUp as gave:
        raise GaveUp(gave.decision.reason, gave.attempts, gave.decision.verdict) from gave.cause
    return tries
