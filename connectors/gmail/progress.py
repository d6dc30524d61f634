"""A rich progress bar during a backfill and a summary at the end — only on a terminal
(or when asked), so flows and tests stay quiet."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from connectors.gmail.quota import Meter
from connectors.source import Progress, no_progress
from models.records import Batch


class RunProgress:
    """Counts what a run did; draws it with rich when `enabled`."""

    def __init__(
        self,
        account: str,
        enabled: bool | None = None,
        total: int | None = None,
        report: Callable[[Progress], None] = no_progress,
    ) -> None:
        self.account = account
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.report = report  # BuildOptions.progress: the sync loop draws it
        self.threads_done, self.threads_total = 0, 0
        self.started = time.monotonic()
        self.messages = 0
        self.contacts = 0
        self.skipped: Counter[str] = Counter()
        self._bar: Any = None
        self._task: Any = None
        self._meter: Meter | None = None
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn(f"gmail:{account}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:.0f} msg/s · {task.fields[units]:.0f} units/s"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("backfill", total=total, rate=0.0, units=0.0)

    def expect_threads(self, total: int) -> None:
        """The sent phase knows how many threads it will read: progress has an end."""
        self.threads_done, self.threads_total = 0, total

    def threads(self, done: int) -> None:
        self.threads_done += done
        self.report(Progress(self.threads_done, self.threads_total, "sent threads"))

    def advance(self, messages: int, meter: Meter) -> None:
        self.messages += messages
        self._meter = meter
        if self.threads_done >= self.threads_total:
            self.report(Progress(self.messages, None, "messages"))
        if self._bar is not None:
            elapsed = max(time.monotonic() - self.started, 1e-6)
            self._bar.update(
                self._task,
                completed=self.messages,
                rate=self.messages / elapsed,
                units=meter.units / elapsed,
            )

    def stored(self, batch: Batch) -> None:
        self.contacts += sum(1 for i in batch.interactions if not (i.bulk or i.automated))
        for skip in batch.skipped:
            self.skipped[skip.reason] += 1

    def summary(self) -> dict[str, Any]:
        meter = self._meter or Meter()
        return {
            "messages": self.messages,
            "contacts": self.contacts,
            "skipped": dict(self.skipped),
            "units": meter.units,
            "requests": meter.http_requests,
            "retries": meter.retries,
            "seconds": round(time.monotonic() - self.started, 2),
        }

    def finish(self, meter: Meter) -> None:
        self._meter = meter
        if self._bar is None:
            return
        self._bar.stop()
        from rich.console import Console

        s = self.summary()
        skipped = ", ".join(f"{n} {why}" for why, n in s["skipped"].items()) or "none"
        Console(stderr=True).print(
            f"gmail:{self.account}: {s['messages']} messages seen, {s['contacts']} contacts "
            f"counted, skipped: {skipped}; {s['units']} quota units in {s['requests']} requests "
            f"({s['retries']} retries), {s['seconds']} s"
        )
