"""Retry policy in one place: only transient failures are retried (singer-sdk style)."""

from __future__ import annotations

import socket
from typing import Any

from connectors.errors import RetriableError

# No Prefect task timeout: tasks run in worker threads, which Prefect cannot interrupt (it
# warns on every run). Hung calls are bounded where they happen instead: every connector's
# HTTP requests carry timeouts, and those time-outs are RetriableErrors retried here.


def is_transient(exc: BaseException | None) -> bool:
    return isinstance(exc, RetriableError | TimeoutError | ConnectionError | socket.timeout)


def retry_only_transient(_task: Any, _task_run: Any, state: Any) -> bool:
    """Prefect `retry_condition_fn`: bad credentials or bad data never retry."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception as err:  # the state may hold the exception itself
        exc = err
    return is_transient(exc if isinstance(exc, BaseException) else None)
