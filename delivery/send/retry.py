"""Retry a send with exponential backoff, but only when trying again can help."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class SendError(Exception):
    """One failed send; `transient` says whether the same send may succeed later."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class GaveUp(Exception):
    """The send still failed after `attempts` tries (or failed for good at once)."""

    def __init__(self, cause: str, attempts: int) -> None:
        super().__init__(cause)
        self.cause = cause
        self.attempts = attempts


def with_retries(
    send: Callable[[], None],
    *,
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call `send` until it succeeds; returns the number of attempts it took.

    Waits backoff, 2×backoff, 4×backoff… between attempts. A permanent SendError stops at
    once; an unexpected exception counts as transient (it may be a dropped connection).
    """
    for attempt in range(1, attempts + 1):
        try:
            send()
            return attempt
        except SendError as exc:
            if not exc.transient:
                raise GaveUp(str(exc), attempt) from exc
            failure: Exception = exc
        except Exception as exc:
            failure = exc
        if attempt == attempts:
            raise GaveUp(str(failure) or type(failure).__name__, attempt) from failure
        delay = backoff_seconds * 2 ** (attempt - 1)
        log.warning(
            "send failed (%s); attempt %d of %d in %.1fs", failure, attempt + 1, attempts, delay
        )
        sleep(delay)
    raise GaveUp("no attempts allowed", 0)  # attempts < 1
