"""Named leases in the store: who may sync an account, or use a provider's quota, right now.

One mechanism for both (DESIGN: one writer per account; one sync per Gmail user / Graph app
across all workers). A lease is a row with a holder and an expiry that the holder renews from a
heartbeat thread while it lives, so:
- acquisition is one conditional UPDATE (`… WHERE holder IS NULL OR expires_at < now`) whose
  row count says who won: exactly one of N racing processes, on SQLite and PostgreSQL alike;
- a holder that died (SIGKILL, power loss) stops renewing and its lease expires within `ttl`;
- a holder on this host whose process is provably gone (PID not alive, or alive with another
  start time) is taken over at once, and the caller is told so.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from models.schema import LeaseRow

DEFAULT_TTL_S = 60.0


class LeaseBusy(Exception):
    """Someone alive holds the lease (`holder`, since `since`)."""

    def __init__(self, name: str, holder: str, since: datetime | None, message: str) -> None:
        super().__init__(message)
        self.name, self.holder, self.since = name, holder, since


class LeaseLost(Exception):
    """Our lease was taken by another process (we stopped renewing it for longer than its ttl)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """host:pid:start — the process start time tells a reused PID from the original one."""

    host: str
    pid: int
    start: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @staticmethod
    def parse(text: str) -> Holder | None:
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        try:
            return Holder(host, int(pid), rest)
        except ValueError:
            return None

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot) or None if it is not running.

    Outside Linux there is no /proc: "running" falls back to a signal-0 probe, start "?"."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()  # field 22 of stat(5); two are before the ")" split
    except FileNotFoundError:
        return None
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "?"
    return "?"


def this_process() -> Holder:
    pid = os.getpid()
    return Holder(socket.gethostname(), pid, process_start(pid) or "?")


def provably_dead(holder: Holder) -> bool:
    """Only a holder on this host can be checked; elsewhere we wait for its lease to expire."""
    if holder.host != socket.gethostname():
        return False
    start = process_start(holder.pid)
    if start is None:
        return True
    return "?" not in (start, holder.start) and start != holder.start


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Lease:
    """A held lease; renewed by a daemon thread until `release()`."""

    def __init__(self, engine: Engine, name: str, holder: str, ttl: float) -> None:
        self.engine, self.name, self.holder, self.ttl = engine, name, holder, ttl
        self.took_over: str | None = None  # who held it before, when taken from the dead
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_loop, name=f"lease {name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.renew():
                    self.lost.set()
                    return
            except Exception:  # a database hiccup: try again next beat, the lease has slack
                continue

    def renew(self) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                .values(expires_at=_now() + timedelta(seconds=self.ttl))
            )
            return bool(result.rowcount)

    def check(self) -> None:
        if self.lost.is_set():
            raise LeaseLost(
                f"{self.name}: this process lost its lease (it could not renew it for "
                f"{self.ttl:.0f} s); stopping so that two runs never write at once"
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with self.engine.begin() as conn:
            conn.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
                .values(holder=None, acquired_at=None, expires_at=None)
            )


def _ensure_row(engine: Engine, name: str) -> None:
    """Insert-or-ignore: the conditional UPDATE then has a row to win."""
    values = {"name": name, "holder": None}
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(pg_insert(LeaseRow).values(values).on_conflict_do_nothing())
        elif engine.dialect.name == "sqlite":
            conn.execute(sqlite_insert(LeaseRow).values(values).on_conflict_do_nothing())
        elif conn.execute(select(LeaseRow.name).where(LeaseRow.name == name)).first() is None:
            conn.execute(insert(LeaseRow).values(values))


def _take(engine: Engine, name: str, me: str, ttl: float, *, only_from: str | None) -> bool:
    now = _now()
    free = (LeaseRow.holder.is_(None)) | (LeaseRow.expires_at < now)
    condition = LeaseRow.holder == only_from if only_from is not None else free
    with engine.begin() as conn:
        result = conn.execute(
            update(LeaseRow)
            .where(LeaseRow.name == name, condition)
            .values(holder=me, acquired_at=now, expires_at=now + timedelta(seconds=ttl))
        )
        return bool(result.rowcount)


def _current(engine: Engine, name: str) -> tuple[str | None, datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(LeaseRow.holder, LeaseRow.acquired_at).where(LeaseRow.name == name)
        ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def try_acquire(engine: Engine, name: str, *, ttl: float = DEFAULT_TTL_S) -> Lease:
    """Take the lease now or raise LeaseBusy naming the live holder."""
    me = str(this_process())
    _ensure_row(engine, name)
    for _ in range(3):  # the holder may release between our UPDATE and our read
        if _take(engine, name, me, ttl, only_from=None):
            lease = Lease(engine, name, me, ttl)
            lease.start()
            return lease
        holder, since = _current(engine, name)
        if holder is None:
            continue
        parsed = Holder.parse(holder)
        if parsed is not None and provably_dead(parsed):
            if _take(engine, name, me, ttl, only_from=holder):
                lease = Lease(engine, name, me, ttl)
                lease.took_over = holder
                lease.start()
                return lease
            continue
        who = parsed.describe() if parsed else holder
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        raise LeaseBusy(name, holder, since, f"{name} is held by {who}{when}")
    raise LeaseBusy(name, "?", None, f"{name} is changing hands too fast; try again")


@contextmanager
def hold(
    engine: Engine,
    name: str,
    *,
    ttl: float = DEFAULT_TTL_S,
    wait_s: float = 0.0,
    on_wait: Callable[[LeaseBusy], None] | None = None,
    poll_s: float = 1.0,
) -> Iterator[Lease]:
    """Hold `name` for the block. With `wait_s`, wait that long for a live holder (telling
    `on_wait` once), then raise its LeaseBusy."""
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            lease = try_acquire(engine, name, ttl=ttl)
            break
        except LeaseBusy as busy:
            if time.monotonic() >= deadline:
                raise
            if on_wait is not None and not told:
                on_wait(busy)
                told = True
            time.sleep(min(poll_s, max(0.05, deadline - time.monotonic())))
    try:
        yield lease
    finally:
        lease.release()
