"""Drawing a sync's progress (rich, on stderr, only on a terminal) and stopping it cleanly.

Every source reports through the sync loop (ingest.sync.SyncProgress): records read, and
where the source knows its size (the bytes of an mbox, Gmail's sent threads) a bar and an ETA.
Ctrl-C or SIGTERM asks the loop to stop at the next batch boundary, keeping what was stored;
a second one quits at once (nothing half-written is committed: each batch is a transaction).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

from cli.output import err, say

if TYPE_CHECKING:
    from ingest.sync import SyncProgress


def _size(value: float, unit: str) -> str:
    if unit != "bytes":
        return f"{value:,.0f}"
    for suffix in ("B", "KB", "MB", "GB"):
        if value < 1024 or suffix == "GB":
            return f"{value:,.0f} {suffix}" if suffix == "B" else f"{value:,.1f} {suffix}"
        value /= 1024
    return f"{value:,.1f} GB"  # pragma: no cover


class _Detail(ProgressColumn):
    """`12,345 records · 40.1 MB of 96.0 MB bytes · ETA 0:21` as far as it is known."""

    def render(self, task: Task) -> Text:
        f = task.fields
        parts = [f"{f.get('seen', 0):,} records"]
        if task.total:
            unit = f.get("unit", "")
            done = _size(task.completed, unit)
            total = _size(task.total, unit)
            parts.append(f"{done} of {total}" + ("" if unit == "bytes" else f" {unit}"))
        eta = f.get("eta")
        if eta is not None:
            minutes, seconds = divmod(int(eta), 60)
            parts.append(f"ETA {minutes}:{seconds:02d}")
        return Text(" · ".join(parts))


class SyncDisplay:
    """One line per account while it syncs; nothing at all when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = err.is_terminal if enabled is None else enabled
        self._bar: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> SyncDisplay:
        if self.enabled:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                _Detail(),
                console=err,
                transient=True,
            )
            self._bar.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, progress: SyncProgress) -> None:
        if self._bar is None:
            return
        with self._lock:
            task = self._tasks.get(progress.account)
            if task is None:
                task = self._bar.add_task(progress.account, total=None, seen=0)
                self._tasks[progress.account] = task
        self._bar.update(
            task,
            total=progress.total,
            completed=progress.done or 0,
            seen=progress.seen,
            done=progress.done,
            unit=progress.unit,
            eta=progress.eta(),
        )


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """SIGINT and SIGTERM set `stop` (the loop ends at its next batch boundary); a second
    signal exits at once. Yields the list of signals received."""
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            say("stopping now; the batch being stored is rolled back", style="red")
            os._exit(128 + signum)
        stop.set()
        say(
            "stopping at the next batch boundary; what is stored so far is kept "
            "(press Ctrl-C again to quit at once)",
            style="yellow",
        )

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
