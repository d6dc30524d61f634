"""The delivery ledger's rows: at most one digest per (report day, channel, recipient).

A row is reserved as `sending` before anything leaves (the unique constraint decides between
two racing runs), then marked `sent` or `failed`. A row left in `sending` means a run died
mid-send: we cannot know whether it arrived, so it is reported, not resent — as is a row
marked `uncertain` (the connection dropped after the message went out). Only an explicit
`--resend-uncertain` (or `--force`) takes those rows over. These are the
session-level steps; models.store.Store runs them in its transactions, like every write, and
delivery.send decides what to do with each outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.schema import DeliveryRow
from models.times import from_db, utc_naive

State = Literal["reserved", "already_sent", "in_flight"]


@dataclass(frozen=True, slots=True)
class Reservation:
    state: State
    row_id: int
    since: datetime | None = None  # when the existing row was created / sent


def _now() -> datetime:
    return utc_naive(datetime.now(UTC))


def insert(session: Session, day: date, channel: str, recipient: str) -> Reservation:
    """A new `sending` row; IntegrityError (at flush) when the row exists."""
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


UNCERTAIN = ("sending", "uncertain")  # may or may not have arrived


def take_existing(
    session: Session,
    day: date,
    channel: str,
    recipient: str,
    *,
    force: bool,
    resend_uncertain: bool = False,
) -> Reservation:
    """Decide from the existing row's status; `force`, a `failed` row, or (with
    `resend_uncertain`) an uncertain one is taken over."""
    row = session.scalars(
        select(DeliveryRow).where(
            DeliveryRow.report_date == day,
            DeliveryRow.channel == channel,
            DeliveryRow.recipient == recipient,
        )
    ).one()
    if force or row.status == "failed" or (resend_uncertain and row.status in UNCERTAIN):
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
    session: Session,
    row_id: int,
    status: Literal["sent", "failed", "uncertain"],
    attempts: int,
    detail: str = "",
) -> None:
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


def rows(session: Session, day: date | None = None) -> list[DeliveryRow]:
    query = select(DeliveryRow).order_by(DeliveryRow.id)
    if day is not None:
        query = query.where(DeliveryRow.report_date == day)
    return list(session.scalars(query))
