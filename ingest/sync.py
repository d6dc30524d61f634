"""The sync loop for one account, free of Prefect so tests and the flow share it.

dlt-style: the connector yields batches, the store saves each batch together with the
cursor that covers it, so an interrupted sync resumes where the last stored batch ended.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Me, Window
from connectors.registry import build_connector
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
            "mode": self.mode,
            "window": self.window,
        }


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
    *,
    backfill: bool = False,
) -> SyncSummary:
    """Run one account to the end (or to its window's end). Connector errors propagate.

    `backfill` (or a `window`) makes it a backfill: see `read_plan`."""
    account = config.account(account_name)
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
                _run(config, store, account, window, summary, lease, on_batch)
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
) -> None:
    state = store.sync_state(account.name)
    me = me_for(config, state.aliases if state else ())
    connector = build_connector(account, me)
    cursor, bounds = read_plan(summary.mode, state.cursor if state else None, window)
    for batch in connector.batches(cursor, bounds):
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
