"""The delivery ledger as delivery uses it: at most one digest per (report day, channel,
recipient). What each state means is in models.ledger; the rows are written by the store
(Store.reserve_delivery / finish_delivery), like every other write.

`reserve` answers `reserved` (send now), `already_sent` (say so; --force resends) or
`in_flight` (a run died mid-send, another is sending, or the last send's outcome is uncertain:
report it, never resend blindly; --resend-uncertain resends those rows only).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from models.ledger import Reservation, State
from models.schema import DeliveryRow
from models.store import Store

__all__ = ["Reservation", "State", "finish", "reserve", "rows"]


def reserve(
    store: Store,
    day: date,
    channel: str,
    recipient: str,
    *,
    force: bool = False,
    resend_uncertain: bool = False,
) -> Reservation:
    """Claim the right to send; `force` takes over any existing row (a deliberate resend),
    `resend_uncertain` only a row whose delivery is uncertain (`sending`, `uncertain`)."""
    return store.reserve_delivery(
        day, channel, recipient, force=force, resend_uncertain=resend_uncertain
    )


def finish(
    store: Store,
    row_id: int,
    status: Literal["sent", "failed", "uncertain"],
    attempts: int,
    detail: str = "",
) -> None:
    store.finish_delivery(row_id, status, attempts, detail)


def rows(store: Store, day: date | None = None) -> list[DeliveryRow]:
    """The ledger (for `keepwarm` status output and tests)."""
    return store.deliveries(day)
