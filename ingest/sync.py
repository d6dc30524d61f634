"""The sync loop for one account, free of Prefect so tests, the CLI and the flows share it.

dlt-style: the connector yields batches, the store saves each batch together with the
cursor that covers it, so an interrupted sync resumes where the last stored batch ended.

The connector reads in a thread of its own and hands batches over one at a time; this thread
stores them. So the loop can stop between batches whatever the connector is doing: when asked
(Ctrl-C, SIGTERM: `SyncControl.stop`), when the account's overall deadline has passed, or when
no batch has come for `stall` seconds (a hung source) — with everything stored so far kept.
Progress (records read, and where the source knows its size an ETA) goes to
`SyncControl.on_progress`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import Connector, Me, Window
from connectors.registry import build_connector
from connectors.source import BuildOptions, Progress
from ingest.limits import provider_slot
from models.config import Config
from models.identity import normalize_phone
from models.leases import Lease
from models.records import Batch
from models.settings import AccountSettings
from models.store import Store, account_lease


@dataclass(slots=True)
class SyncSummary:
    """What one account's sync did; printed by the CLI, returned by the flow."""

    account: str
    kind: str
    batches: int = 0
    seen: int = 0
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    cards: int = 0
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    skip_examples: list[str] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    error: str | None = None
    interrupted: bool = False
    mode: str = "sync"  # "sync" (from the saved cursor) or "backfill" (see `read_plan`)
    window: str = ""  # a backfill's window as the user gave it, "" for the whole account

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "kind": self.kind,
            "batches": self.batches,
            "seen": self.seen,
            "inserted": self.inserted,
            "updated": self.updated,
            "removed": self.removed,
            "cards": self.cards,
            "skipped": self.skipped,
            "skip_reasons": dict(self.skip_reasons),
            "skip_examples": self.skip_examples,
            "notes": dict(self.notes),
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "interrupted": self.interrupted,
            "mode": self.mode,
            "window": self.window,
        }


class SyncStopped(Exception):
    """The loop stopped between batches; what was stored stays stored (`summary` says what)."""

    def __init__(self, message: str, summary: SyncSummary) -> None:
        super().__init__(message)
        self.summary = summary


class SyncInterrupted(SyncStopped):
    """Asked to stop (Ctrl-C, SIGTERM)."""


class SyncTimedOut(SyncStopped):
    """The account's deadline passed, or its source stalled: this account failed, not others."""


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Where one account's sync is: records read so far, and the source's own measure (bytes
    of an mbox, Gmail's sent threads) when it knows its total."""

    account: str
    seen: int
    batches: int
    done: int | None = None
    total: int | None = None
    unit: str = ""
    elapsed: float = 0.0

    def eta(self) -> float | None:
        """Seconds left at the rate so far, when the total is known."""
        if not self.total or not self.done or self.elapsed <= 0 or self.done >= self.total:
            return None
        return self.elapsed * (self.total - self.done) / self.done


@dataclass(slots=True)
class SyncControl:
    """How a sync is run: when to stop, how long it may take, who hears its progress."""

    stop: threading.Event = field(default_factory=threading.Event)
    deadline_s: float | None = None
    stall_s: float | None = None
    on_progress: Callable[[SyncProgress], None] | None = None
    progress_every_s: float = 0.2


def control_for(config: Config, **kwargs: Any) -> SyncControl:
    """The config's `[sync]` deadline and stall limits, plus whatever the caller adds."""
    return SyncControl(
        deadline_s=config.sync.deadline_minutes * 60,
        stall_s=config.sync.stall_minutes * 60,
        **kwargs,
    )


def me_for(config: Config, aliases: list[str] | tuple[str, ...] = ()) -> Me:
    phones = {normalize_phone(p, config.me.default_region) for p in config.me.phones}
    return Me(
        emails=frozenset(config.me.emails) | frozenset(aliases),
        phones=frozenset(p for p in phones if p),
        default_region=config.me.default_region,
        store_subjects=config.rules.store_subjects,
    )


def sync_account_now(
    config: Config,
    store: Store,
    account_name: str,
    window: tuple[datetime | None, datetime | None] | None = None,
    on_batch: Callable[[Batch, SyncSummary], None] | None = None,
    on_event: Callable[[str], None] | None = None,
    control: SyncControl | None = None,
    *,
    backfill: bool = False,
) -> SyncSummary:
    """Run one account to the end (or to its window's end). Connector errors propagate;
    a stop, deadline or stall raises SyncStopped after the last stored batch.

    `backfill` (or a `window`) makes it a backfill: see `read_plan`."""
    account = config.account(account_name)
    control = control or SyncControl()
    summary = SyncSummary(account=account.name, kind=account.kind)
    if backfill or window is not None:
        summary.mode, summary.window = "backfill", describe_window(window)
    started = time.perf_counter()

    def say(line: str) -> None:
        summary.notes[line] += 1
        if on_event is not None:
            on_event(line)

    try:
        with account_lease(store, account.name) as lease:
            if lease.took_over:
                say("took over the lock of an earlier sync whose process is gone")
            with provider_slot(store, account, say=say):
                _run(config, store, account, window, summary, lease, on_batch, control, started)
    finally:
        summary.seconds = time.perf_counter() - started
    return summary


def read_plan(
    mode: str, saved: str | None, window: tuple[datetime | None, datetime | None] | None
) -> tuple[str | None, Window | None]:
    """What the connector is asked for: (cursor, window).

    - sync: the saved cursor, no window — what changed since the last run;
    - backfill without a window: no cursor — a full re-read of the account from scratch
      (with its sweep); its cursors are saved as usual, so the next sync continues from it.
      It is also the way out of a cursor that cannot be read;
    - backfill of a window: the saved cursor *and* the window. The connector re-reads the
      window; a batch's cursor is saved only when the connector sets one, which it does only
      when that cursor is valid for the next sync (Gmail: the historyId taken before the
      backfill, for an account with no usable cursor yet); otherwise the saved cursor stays
      and the connector says so in the batch's notes (connectors.base.Connector).
    """
    if mode != "backfill":
        return saved, None
    if window is None:
        return None, None
    return saved, Window(*window)


def describe_window(window: tuple[datetime | None, datetime | None] | None) -> str:
    """How the summary names a window, e.g. "since 2016-01-01"; "" for none."""
    if window is None:
        return ""
    since, until = window
    parts = [
        f"since {since:%Y-%m-%d}" if since else "",
        f"until {until:%Y-%m-%d} (exclusive)" if until else "",
    ]
    return " ".join(p for p in parts if p)


def _run(
    config: Config,
    store: Store,
    account: AccountSettings,
    window: tuple[datetime | None, datetime | None] | None,
    summary: SyncSummary,
    lease: Lease,
    on_batch: Callable[[Batch, SyncSummary], None] | None,
    control: SyncControl,
    started: float,
) -> None:
    state = store.sync_state(account.name)
    me = me_for(config, state.aliases if state else ())
    last: list[Progress | None] = [None]
    shown = [0.0]

    def report(force: bool = False) -> None:
        if control.on_progress is None:
            return
        now = time.perf_counter()
        if not force and now - shown[0] < control.progress_every_s:
            return
        shown[0] = now
        got = last[0]
        control.on_progress(
            SyncProgress(
                account.name,
                summary.seen,
                summary.batches,
                got.done if got else None,
                got.total if got else None,
                got.unit if got else "",
                now - started,
            )
        )

    def source_progress(progress: Progress) -> None:
        last[0] = progress
        report()

    connector = build_connector(account, me, BuildOptions(progress=source_progress))
    cursor, bounds = read_plan(summary.mode, state.cursor if state else None, window)
    for batch in _handed_over(connector, cursor, bounds, account.name, summary, control, started):
        lease.check()
        result = store.apply_batch(account.name, account.kind, batch, config.rules)
        summary.batches += 1
        summary.seen += batch.seen
        summary.inserted += result.inserted
        summary.updated += result.updated
        summary.removed += result.removed
        summary.cards += result.cards
        summary.skipped += result.skipped
        summary.notes.update(batch.notes)
        for skip in batch.skipped:
            summary.skip_reasons[skip.reason] += 1
            if len(summary.skip_examples) < 20:
                summary.skip_examples.append(f"{skip.where}: {skip.reason}")
        if on_batch is not None:
            on_batch(batch, summary)
        report(force=True)


_DONE = object()
_POLL_S = 0.1


def _handed_over(
    connector: Connector,
    cursor: str | None,
    bounds: Window | None,
    name: str,
    summary: SyncSummary,
    control: SyncControl,
    started: float,
) -> Iterator[Batch]:
    """The connector's batches, read in a thread of its own and handed over one at a time, so
    the caller can stop between any two of them: asked to, past the deadline, or stalled."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=1)
    abandon = threading.Event()

    def read() -> None:
        batches = connector.batches(cursor, bounds)
        try:
            for batch in batches:
                if not _put(handoff, batch, abandon):
                    return
            _put(handoff, _DONE, abandon)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            _put(handoff, exc, abandon)
        finally:
            batches.close()  # type: ignore[attr-defined]

    reader = threading.Thread(target=read, name=f"read-{name}", daemon=True)
    reader.start()
    waiting_since = time.perf_counter()
    try:
        while True:
            now = time.perf_counter()
            if control.stop.is_set():
                summary.interrupted = True
                raise SyncInterrupted(
                    f"{name}: stopped after {summary.batches} stored batch(es) "
                    f"({summary.seen} records); they are kept, and the next sync continues "
                    "from there",
                    summary,
                )
            if control.deadline_s is not None and now - started > control.deadline_s:
                raise SyncTimedOut(
                    f"{name}: still running after its deadline of {control.deadline_s / 60:.0f} "
                    f"min ([sync] deadline_minutes); stopped after {summary.batches} stored "
                    "batch(es), which are kept; the next sync continues from there",
                    summary,
                )
            if control.stall_s is not None and now - waiting_since > control.stall_s:
                raise SyncTimedOut(
                    f"{name}: no batch from the source for {control.stall_s / 60:.1f} min "
                    "([sync] stall_minutes): it looks hung (network, a locked file); "
                    f"stopped after {summary.batches} stored batch(es), which are kept",
                    summary,
                )
            try:
                item = handoff.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            waiting_since = time.perf_counter()
    finally:
        abandon.set()


def _put(handoff: queue.Queue[Any], item: object, abandon: threading.Event) -> bool:
    """Hand one item over, waiting while the caller stores the last; False once abandoned."""
    while not abandon.is_set():
        try:
            handoff.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


# What the process that runs flows in-line (the CLI with a Prefect API configured) asks of
# every sync in it: its stop event and progress display. Flows on a worker have none.
process_control: SyncControl | None = None


def sync_accounts(
    config: Config,
    names: list[str],
    control: SyncControl,
    *,
    workers: int = 4,
    on_event: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Several accounts at once (threads, a store connection each), without Prefect: what an
    interactive `keepwarm sync` runs when no Prefect API is configured. One account failing,
    timing out or stalling does not stop the others; a stop request stops all of them
    between batches. Results are in the order of `names`, a failure as {"account", "error"}."""
    from concurrent.futures import ThreadPoolExecutor

    def one(name: str) -> dict[str, Any]:
        store = Store(config.store.url)
        try:
            return sync_account_now(
                config, store, name, control=control, on_event=on_event
            ).as_dict()
        except SyncStopped as stopped:
            result = stopped.summary.as_dict()
            result["error"] = str(stopped)
            return result
        except Exception as exc:
            return {"account": name, "error": str(exc) or type(exc).__name__}
        finally:
            store.close()

    if not names:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(names)))) as pool:
        futures = [pool.submit(one, name) for name in names]
        results = []
        for future in futures:
            while True:  # wake up now and then so the main thread can take signals
                try:
                    results.append(future.result(timeout=0.2))
                    break
                except TimeoutError:
                    continue
        return results
