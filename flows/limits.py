"""Per-provider Prefect global concurrency limits, shared by every worker.

Quota belongs to the provider, not to a process: Gmail's is per user, Graph's 4-in-flight
limit is per app. Each process already paces itself (Gmail token bucket, Graph limiter), so
allowing one sync per Gmail user and one per Graph app at a time, across all workers, keeps
any number of workers within the provider's limits together. Names are limits in the
Prefect API, created on first use (`prefect gcl ls` shows them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound


def limit_names(account: Any) -> list[str]:
    """Slug-safe names: Prefect limit names allow letters, digits, `-` and `_`."""
    if account.kind == "gmail":
        return [_slug(f"gmail-user-{account.address}")]
    if account.kind == "outlook":
        return [_slug(f"graph-app-{account.client_id or account.name}")]
    return []


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text.lower())


def ensure_limits(names: list[str], slots: int = 1) -> None:
    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                with contextlib.suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(
                        GlobalConcurrencyLimitCreate(name=name, limit=slots)
                    )


@contextlib.contextmanager
def provider_slot(account: Any) -> Iterator[None]:
    """Hold this account's provider slot(s) for the duration of its sync."""
    names = limit_names(account)
    if not names:
        yield
        return
    ensure_limits(names)
    with concurrency(names, occupy=1, strict=True):
        yield
