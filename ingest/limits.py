"""Per-provider slots, shared by every process that uses the same store.

Quota belongs to the provider, not to a process: Gmail's is per user, Graph's 4-in-flight
limit is per app. Each process already paces itself (Gmail token bucket, Graph limiter), so
allowing one sync per Gmail user and one per Graph app at a time, across all workers, keeps
any number of workers within the provider's limits together.

Slots are leases in the store (models.leases), not Prefect global concurrency limits: a
Prefect slot taken by a process that was then killed was never given back, and every later
sync of that account waited forever without a word. A lease of a dead holder expires (or is
taken over at once on the same host), and waiting for a live one says so and times out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from connectors.registry import source_for
from models.leases import LeaseBusy, hold
from models.settings import AccountSettings
from models.store import Store

SLOT_TTL_S = 60.0
SLOT_WAIT_S = 30 * 60.0


class SlotTimeout(Exception):
    """Waited `SLOT_WAIT_S` for a provider slot that a live sync still holds."""


def limit_names(account: AccountSettings) -> list[str]:
    """Slug-safe names, one per provider quota this account draws on (its source says which)."""
    key = source_for(account.kind).limit(account)
    return [] if key is None else [_slug(key)]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text.lower())


@contextlib.contextmanager
def provider_slot(
    store: Store,
    account: AccountSettings,
    *,
    wait_s: float = SLOT_WAIT_S,
    say: Callable[[str], None] = lambda _line: None,
) -> Iterator[None]:
    """Hold this account's provider slot(s) for the duration of its sync."""
    with contextlib.ExitStack() as stack:
        for name in limit_names(account):

            def waiting(busy: LeaseBusy, name: str = name) -> None:
                say(
                    f"{account.name}: waiting for slot {name} ({busy}); another sync of the "
                    f"same provider quota is running (up to {wait_s / 60:.0f} min)"
                )

            try:
                lease = stack.enter_context(
                    hold(
                        store.engine, f"slot:{name}", ttl=SLOT_TTL_S, wait_s=wait_s, on_wait=waiting
                    )
                )
            except LeaseBusy as busy:
                raise SlotTimeout(
                    f"account {account.name!r}: gave up after {wait_s / 60:.0f} min waiting "
                    f"for slot {name}: {busy}; another sync of the same quota is still running"
                ) from busy
            if lease.took_over:
                say(f"{account.name}: slot {name} was held by a process that died; taken over")
        yield
