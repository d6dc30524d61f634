"""The delivery ledger: at most one digest per (report day, channel, recipient).

A row is reserved as `sending` before anything leaves (the unique constraint decides
between two racing runs), then marked `sent` or `failed`. A row left in `sending` means
a run died mid-send: we cannot know whether it arrived, so it is reported, not resent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models.schema import DeliveryRow
from models.store import Store, from_db, utc_naive

State = Literal["reserved", "already_sent", "in_flight"]


@dataclass(frozen=True, slots=True)
class Reservation:
    state: State
    row_id: int
    since: datetime | None = None  # when the existing row was created / sent


def _now() -> datetime:
    return utc_naive(datetime.now(UTC))


def reserve(
    store: Store, day: date, channel: str, recipient: str, *, force: bool = False
) -> Reservation:
    """Claim the right to send; `force` takes over any existing row (a deliberate resend).
    A `failed` row is taken over too: nothing was delivered, so sending again is safe."""
    try:
        with store.session() as session:
            row = DeliveryRow(
                report_date=day,
                channel=channel,
                recipient=recipient,
                status="sending",
                attempts=0,
                created_at=_now(),
            )
            session.add(row)
            session.flush()
            return Reservation("reserved", row.id)
    except IntegrityError:
        pass  # a row exists: decide from its status below
    with store.session() as session:
        row = session.scalars(
            select(DeliveryRow).where(
                DeliveryRow.report_date == day,
                DeliveryRow.channel == channel,
                DeliveryRow.recipient == recipient,
            )
        ).one()
        if force or row.status == "failed":
            taken = session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == row.id, DeliveryRow.status == row.status)
                .values(status="sending", created_at=_now(), detail=None)
            )
            if getattr(taken, "rowcount", 0) == 1:
                return Reservation("reserved", row.id)
            return Reservation("in_flight", row.id, _now())  # another run just took it
        if row.status == "sent":
            return Reservation("already_sent", row.id, from_db(row.sent_at or row.created_at))
        return Reservation("in_flight", row.id, from_db(row.created_at))


def finish(
    store: Store, row_id: int, status: Literal["sent", "failed"], attempts: int, detail: str = ""
) -> None:
    with store.session() as session:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == row_id)
            .values(
                status=status,
                attempts=DeliveryRow.attempts + attempts,
                sent_at=_now() if status == "sent" else None,
                detail=detail[:2000] or None,
            )
        )


def rows(store: Store, day: date | None = None) -> list[DeliveryRow]:
    """The ledger (for `keepwarm` status output and tests)."""
    with store.session() as session:
        query = select(DeliveryRow).order_by(DeliveryRow.id)
        if day is not None:
            query = query.where(DeliveryRow.report_date == day)
        return list(session.scalars(query))
