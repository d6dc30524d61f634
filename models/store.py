"""The store: opens (and migrates) the database and saves batches with their cursor.

A batch and the cursor that covers it are written in one transaction, so a sync that dies
half way resumes from the last stored batch with no duplicates (upsert by stable key) and
no gaps (the cursor never runs ahead of the data).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Engine,
    and_,
    create_engine,
    delete,
    event,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from connectors import retry
from models import ledger
from models.config import RulesConfig
from models.leases import Holder, Lease, LeaseBusy, try_acquire
from models.locks import lock_writers
from models.records import Batch, Interaction, Sweep
from models.resolve import IdentityResolver
from models.rules import (
    FINGERPRINT_KEY,
    ensure_contacts,
    forget_contacts,
    rebuild_contacts,
    refresh_contacts,
    rules_fingerprint,
)
from models.schema import (
    CardRow,
    DeliveryRow,
    DigestItemRow,
    IdentityRow,
    InteractionRow,
    MetaRow,
    ParticipantRow,
    PersonActionRow,
    SyncStateRow,
)
from models.times import from_db, utc_naive

ACCOUNT_LEASE_TTL_S = 120.0
_LOCK_RETRIES = retry.Policy(attempts=6, base=0.5, cap=8.0)


def _locked(error: BaseException) -> retry.Decision:
    """SQLite's "database is locked" / "busy" is transient; anything else is not."""
    text = str(error).lower()
    if isinstance(error, OperationalError) and ("locked" in text or "busy" in text):
        return retry.Decision(retry.Verdict.TRANSIENT, "the store is busy")
    return retry.Decision(retry.Verdict.PERMANENT, str(error))


@dataclass(slots=True)
class SyncState:
    account: str
    kind: str
    cursor: str | None
    advanced_at: datetime | None
    aliases: list[str]
    skipped_total: int


@dataclass(slots=True)
class BatchResult:
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    cards: int = 0
    skipped: int = 0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class StoreError(Exception):
    """The store cannot be opened: the message says why and what to fix."""


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory ones."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return None
    return Path(url[len("sqlite:///") :].split("?", 1)[0])


def store_problem(url: str, *, create: bool) -> str | None:
    """Why `url` cannot be a store, checked before anything connects: a URL that does not
    parse, an unknown or missing driver, a SQLite file under a parent that is not a writable
    directory, a path that is a directory, or (create=False) a file that does not exist yet.
    None when it looks usable; reachability is Store()'s to find out."""
    try:
        parsed = make_url(_with_driver(url))
    except ArgumentError:
        return f"{url!r} is not a database URL; use sqlite:///PATH or postgresql+psycopg://…"
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        return (
            f"{parsed.get_backend_name()!r} is not supported; use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB"
        )
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError) as exc:
        hint = (
            " (pip install 'keepwarm[postgres]')" if parsed.get_backend_name() != "sqlite" else ""
        )
        return f"the driver of {url!r} is not installed: {exc}{hint}"
    path = sqlite_path(url)
    if path is None:
        return None
    if path.is_dir():
        return f"{path} is a directory; name a file, e.g. sqlite:///{path / 'keepwarm.db'}"
    if path.exists():
        return None if os.access(path, os.R_OK | os.W_OK) else f"{path} is not readable/writable"
    if not create:
        return f"no store at {path} yet; run `keepwarm sync` first"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{parent} is not a directory, so {path} cannot be created there"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create {path}: {parent} is not writable"
    return None


def _with_driver(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _create_private(path: Path) -> None:
    """The store holds whom you talk to: its directory 0700 and file 0600 (SQLite gives its
    -wal and -shm files the database file's mode)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def make_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        _create_private(path)
    url = _with_driver(url)
    extra: dict[str, Any] = {}
    if url.startswith("postgresql") and "connect_timeout" not in url:
        extra["connect_args"] = {"connect_timeout": 10}  # an unreachable host fails, not hangs
    engine = create_engine(url, future=True, **extra)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


_MIGRATION_LOCK = threading.Lock()
_PG_MIGRATION_LOCK_ID = 0x6B65657077  # "keepw": one migrator at a time across processes


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (no-op when already there).

    Alembic is not thread-safe and concurrent DDL races, so migrations are serialised within
    the process (a lock) and, on PostgreSQL, across processes (an advisory lock)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("models") / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with _MIGRATION_LOCK, engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK_ID})"))
        if MigrationContext.configure(connection).get_current_revision() == head:
            return
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(_with_driver(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class Store:
    """One database; every write goes through here."""

    def __init__(self, url: str, *, run_migrations: bool = True) -> None:
        self.url = url
        try:
            self.engine = make_engine(url)
        except (ArgumentError, NoSuchModuleError, ImportError, OSError) as exc:
            raise StoreError(store_problem(url, create=True) or str(exc)) from exc
        if run_migrations:
            try:
                migrate(self.engine)
            except OperationalError as exc:
                self.engine.dispose()
                reason = str(exc.orig or exc).strip().splitlines()[0]
                raise StoreError(f"cannot open the store {_safe(url)}: {reason}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A transaction that may create people and identities.

        Writers are serialised (a PostgreSQL advisory lock; SQLite's write lock taken up
        front), so concurrent syncs of different accounts never create one identity twice,
        deadlock on it, or lose a merge. Fetching still runs in parallel."""
        with self._sessions.begin() as session:
            if self.engine.dialect.name == "postgresql":
                lock_writers(session)
            elif self.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # -- sync state -------------------------------------------------------------------

    def sync_state(self, account: str) -> SyncState | None:
        with self.session() as session:
            row = session.get(SyncStateRow, account)
            if row is None:
                return None
            return SyncState(
                row.account,
                row.kind,
                row.cursor,
                from_db(row.advanced_at) if row.advanced_at else None,
                list(row.aliases or []),
                row.skipped_total,
            )

    # -- writes -----------------------------------------------------------------------

    def apply_batch(self, account: str, kind: str, batch: Batch, rules: RulesConfig) -> BatchResult:
        """Store the batch's records and advance the cursor, atomically."""
        result = BatchResult(skipped=len(batch.skipped))
        with self.write_session() as session:
            ensure_contacts(session, rules)
            resolver = IdentityResolver(session)
            for card in batch.cards:
                resolver.apply_card(card, batch.round)
                result.cards += 1
            ins, upd, ids = _upsert_interactions(session, batch.interactions, batch.round)
            result.inserted, result.updated = ins, upd
            if batch.removed_keys:
                result.removed = _remove(session, batch.removed_keys)
                result.removed += _remove_cards(session, batch.removed_keys)
            if batch.sweep is not None and batch.round is not None:
                result.removed += _sweep(session, batch.sweep, batch.round)
            refresh_contacts(session, rules, ids)
            resolver.people_for(ids)
            resolver.names_from(batch.interactions)
            _save_state(session, account, kind, batch)
        return result

    def add_manual(self, record: Interaction, detail: str, rules: RulesConfig) -> None:
        """Contact the user logged by hand: stored like a synced interaction (it counts under
        the same rules), noted among the person's actions."""
        with self.write_session() as session:
            _, _, ids = _upsert_interactions(session, [record])
            ensure_contacts(session, rules)
            refresh_contacts(session, rules, ids)
            for participant in record.participants:
                owner = session.scalar(
                    select(IdentityRow.person_id).where(
                        IdentityRow.kind == participant.kind, IdentityRow.value == participant.value
                    )
                )
                if owner is not None:
                    session.add(
                        PersonActionRow(
                            person_id=owner,
                            action="log",
                            detail=detail,
                            created_at=utc_naive(datetime.now(UTC)),
                        )
                    )

    def record_digest(self, day: date, items: Sequence[tuple[str, str]]) -> None:
        """Who the digest delivered for `day` named, as (person id, kind): the next days'
        digests rotate past them (`[digest] repeat_after_days`). Idempotent per day."""
        with self.session() as session:
            done = set(
                session.scalars(
                    select(DigestItemRow.person_id).where(DigestItemRow.report_date == day)
                )
            )
            for person_id, kind in items:
                if person_id not in done:
                    session.add(DigestItemRow(report_date=day, person_id=person_id, kind=kind))
                    done.add(person_id)

    def ensure_contacts(self, rules: RulesConfig) -> bool:
        """Rebuild the derived contact table if it was built under other rules; True if so.

        Done in a writers' transaction of its own (SQLite: BEGIN IMMEDIATE, which waits for a
        sync's batch to commit), never by upgrading a report's read transaction into a write
        while a sync commits — that is SQLite's immediate "database is locked". A store still
        locked after the wait is retried (connectors.retry), so a report never fails on it."""
        wanted = rules_fingerprint(rules)
        with self.session() as session:
            current = session.scalar(select(MetaRow.value).where(MetaRow.key == FINGERPRINT_KEY))
        if current == wanted:
            return False

        def attempt() -> bool:
            with self.write_session() as session:
                return ensure_contacts(session, rules)

        try:
            rebuilt, _ = retry.run(attempt, _locked, _LOCK_RETRIES)
        except retry.GaveUp as gave:
            raise gave.cause from None
        return rebuilt

    def rebuild_contacts(self, rules: RulesConfig) -> None:
        """Derive the contact table from the stored facts again (e.g. after bulk loads)."""
        with self.write_session() as session:
            rebuild_contacts(session, rules)

    # -- the delivery ledger (models.ledger) -------------------------------------------

    def reserve_delivery(
        self,
        day: date,
        channel: str,
        recipient: str,
        *,
        force: bool = False,
        resend_uncertain: bool = False,
    ) -> ledger.Reservation:
        """Claim the right to send; `force` takes over any existing row (a deliberate resend).
        A `failed` row is taken over too: nothing was delivered, so sending again is safe."""
        try:
            with self.session() as session:
                return ledger.insert(session, day, channel, recipient)
        except IntegrityError:
            pass  # a row exists: decide from its status
        with self.session() as session:
            return ledger.take_existing(
                session, day, channel, recipient, force=force, resend_uncertain=resend_uncertain
            )

    def finish_delivery(
        self,
        row_id: int,
        status: Literal["sent", "failed", "uncertain"],
        attempts: int,
        detail: str = "",
    ) -> None:
        with self.session() as session:
            ledger.finish(session, row_id, status, attempts, detail)

    def deliveries(self, day: date | None = None) -> list[DeliveryRow]:
        """The ledger, oldest first (all days, or one)."""
        with self.session() as session:
            return ledger.rows(session, day)


def _upsert_interactions(
    session: Session, records: Sequence[Interaction], round_id: str | None = None
) -> tuple[int, int, list[int]]:
    """Upsert by stable key; participants are replaced so an edited meeting is current.

    A record whose stored values and participants are already what it says is not rewritten
    and not counted as updated (only its `round` mark moves, for the sweep): re-reading
    unchanged data reports 0 updated.

    Returns (inserted, updated, ids of every interaction of the batch)."""
    if not records:
        return 0, 0, []
    by_key: dict[str, Interaction] = {r.key: r for r in records}
    existing: dict[str, int] = {}
    stored: dict[int, dict[str, Any]] = {}
    keys = list(by_key)
    columns = [getattr(InteractionRow, name) for name in _CONTENT]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for row in session.execute(
            select(InteractionRow.id, InteractionRow.round, *columns).where(
                InteractionRow.key.in_(chunk)
            )
        ):
            values = dict(zip(("id", "round", *_CONTENT), row, strict=True))
            existing[values["key"]] = values["id"]
            stored[values["id"]] = values
    if stored:
        ids = list(stored)
        for start in range(0, len(ids), 500):
            for part in session.execute(
                select(ParticipantRow).where(
                    ParticipantRow.interaction_id.in_(ids[start : start + 500])
                )
            ).scalars():
                stored[part.interaction_id].setdefault("participants", set()).add(
                    (part.kind, part.value, part.role, part.name, bool(part.declined))
                )
    new_rows = [_row_values(r, round_id) for k, r in by_key.items() if k not in existing]
    if new_rows:
        session.execute(insert(InteractionRow), new_rows)
        for start in range(0, len(new_rows), 500):
            chunk = [r["key"] for r in new_rows[start : start + 500]]
            for key, row_id in session.execute(
                select(InteractionRow.key, InteractionRow.id).where(InteractionRow.key.in_(chunk))
            ):
                existing[key] = row_id
    new_keys = {r["key"] for r in new_rows}
    changed: list[str] = []
    remark: list[int] = []
    for key in by_key:
        if key in new_keys:
            continue
        row_id = existing[key]
        if _same(stored[row_id], by_key[key]):
            if stored[row_id]["round"] != round_id:
                remark.append(row_id)
        else:
            changed.append(key)
    if remark:
        session.execute(
            update(InteractionRow), [{"id": row_id, "round": round_id} for row_id in remark]
        )
    if changed:
        # ORM bulk UPDATE by primary key: one executemany for the batch, not a row at a time.
        session.execute(
            update(InteractionRow),
            [{"id": existing[k], **_row_values(by_key[k], round_id)} for k in changed],
        )
        ids = [existing[k] for k in changed]
        for start in range(0, len(ids), 500):
            session.execute(
                delete(ParticipantRow).where(
                    ParticipantRow.interaction_id.in_(ids[start : start + 500])
                )
            )
    participants: dict[tuple[int, str, str, str], dict[str, Any]] = {}
    for key in [*new_keys, *changed]:
        record = by_key[key]
        row_id = existing[key]
        for p in record.participants:
            pk = (row_id, p.kind, p.value, p.role)
            participants.setdefault(
                pk,
                {
                    "interaction_id": row_id,
                    "kind": p.kind,
                    "value": p.value,
                    "role": p.role,
                    "name": p.name,
                    "declined": p.declined,
                },
            )
    if participants:
        session.execute(insert(ParticipantRow), list(participants.values()))
    return len(new_rows), len(changed), [existing[k] for k in by_key]


# The stored columns a record determines (all but `id` and the sweep's `round` mark).
_CONTENT = (
    "key",
    "source",
    "account",
    "occurred_at",
    "channel",
    "direction",
    "group_size",
    "bulk",
    "automated",
    "cancelled",
    "declined",
    "subject",
    "thread_id",
    "to_me",
    "newsletter",
)


def _same(stored: dict[str, Any], record: Interaction) -> bool:
    """The stored row already says what `record` says (values and participants)."""
    wanted = _row_values(record, None)
    for name in _CONTENT:
        have, want = stored[name], wanted[name]
        if isinstance(want, bool) or isinstance(have, bool):
            have, want = bool(have), bool(want)
        if have != want:
            return False
    people: dict[tuple[str, str, str], tuple[str, str, str, str | None, bool]] = {}
    for p in record.participants:
        people.setdefault((p.kind, p.value, p.role), (p.kind, p.value, p.role, p.name, p.declined))
    return set(people.values()) == set(stored.get("participants", set()))


def _row_values(record: Interaction, round_id: str | None) -> dict[str, Any]:
    return {
        "round": round_id,
        "key": record.key,
        "source": record.source,
        "account": record.account,
        "occurred_at": utc_naive(record.occurred_at),
        "channel": record.channel,
        "direction": record.direction,
        "group_size": record.group_size,
        "bulk": record.bulk,
        "automated": record.automated,
        "cancelled": record.cancelled,
        "declined": record.declined,
        "subject": record.subject,
        "thread_id": record.thread_id,
        "to_me": record.to_me,
        "newsletter": record.newsletter,
    }


def _sweep(session: Session, sweep: Sweep, round_id: str) -> int:
    """Delete what a completed full read did not deliver (it is gone at the source)."""
    stale = and_(
        InteractionRow.key.startswith(sweep.prefix, autoescape=True),
        or_(InteractionRow.round.is_(None), InteractionRow.round != round_id),
    )
    if sweep.since is not None:
        stale = and_(stale, InteractionRow.occurred_at >= utc_naive(sweep.since))
    if sweep.until is not None:
        stale = and_(stale, InteractionRow.occurred_at < utc_naive(sweep.until))
    if sweep.keep_noise:
        stale = and_(
            stale,
            InteractionRow.bulk.is_(False),
            InteractionRow.automated.is_(False),
            InteractionRow.newsletter.is_(False),
        )
    keys = list(session.scalars(select(InteractionRow.key).where(stale)))
    removed = _remove(session, keys) if keys else 0
    cards = session.execute(
        delete(CardRow).where(
            CardRow.key.startswith(sweep.prefix, autoescape=True),
            or_(CardRow.round.is_(None), CardRow.round != round_id),
        )
    )
    return removed + int(getattr(cards, "rowcount", 0) or 0)


def _remove(session: Session, keys: Sequence[str]) -> int:
    removed = 0
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        ids = list(session.scalars(select(InteractionRow.id).where(InteractionRow.key.in_(chunk))))
        if ids:
            forget_contacts(session, ids)
            session.execute(delete(ParticipantRow).where(ParticipantRow.interaction_id.in_(ids)))
            session.execute(delete(InteractionRow).where(InteractionRow.id.in_(ids)))
            removed += len(ids)
    return removed


def _remove_cards(session: Session, keys: Sequence[str]) -> int:
    """Cards gone at the source (a contact deleted in an incremental read), as a sweep would."""
    removed = 0
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        done = session.execute(delete(CardRow).where(CardRow.key.in_(chunk)))
        removed += int(getattr(done, "rowcount", 0) or 0)
    return removed


def _save_state(session: Session, account: str, kind: str, batch: Batch) -> None:
    row = session.get(SyncStateRow, account)
    if row is None:
        row = SyncStateRow(account=account, kind=kind, aliases=[], skipped_total=0)
        session.add(row)
    row.kind = kind
    if batch.cursor is not None:
        row.cursor = batch.cursor
        row.advanced_at = utc_naive(datetime.now(UTC))
    if batch.me_aliases:
        row.aliases = sorted(set(row.aliases or []) | set(batch.me_aliases))
    row.skipped_total = (row.skipped_total or 0) + len(batch.skipped)


class AccountBusyError(Exception):
    """Another live sync of the same account holds its lease."""


@contextmanager
def account_lease(store: Store, account: str) -> Iterator[Lease]:
    """Two syncs of one account never run at once (see models.leases): a live holder wins,
    a dead one on this host is taken over at once, one elsewhere after its lease expires."""
    try:
        lease = try_acquire(store.engine, f"account:{account}", ttl=ACCOUNT_LEASE_TTL_S)
    except LeaseBusy as busy:
        holder = Holder.parse(busy.holder)
        who = holder.describe() if holder else busy.holder
        since = f" since {busy.since:%Y-%m-%d %H:%M} UTC" if busy.since else ""
        raise AccountBusyError(
            f"account {account!r} is already being synced by {who}{since}; wait for it to "
            f"finish (if that process hangs, stop it; a holder on another machine that died "
            f"is forgotten {ACCOUNT_LEASE_TTL_S:.0f} s after its last heartbeat)"
        ) from busy
    try:
        yield lease
    finally:
        lease.release()
