"""The writers' lock: one writer of people and contacts at a time, across processes.

Store.write_session takes it for every batch, and a rebuild of the contact table
(models.rules.ensure_contacts) takes it before deriving, so the two never interleave. It lives
here, below both, because both need it and the store imports the rules.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

PG_WRITERS_LOCK_ID = 0x6B65657078  # advisory lock every writer of people/contacts holds


def lock_writers(session: Session) -> None:
    """PostgreSQL: wait for, then exclude, every other writer until this transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PG_WRITERS_LOCK_ID})
