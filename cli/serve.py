"""`keepwarm serve`: this machine runs the deployments (deployments/serve.py) on their
schedules. The CLI may import deployments/: it is the floor above them.

Ctrl-C or SIGTERM stops it (Prefect's own shutdown: runs in flight are told, the schedule
stops); a second one ends it at once, with any temporary Prefect server it started. Runs log
at INFO into the Prefect API, so `prefect flow-run logs` and the UI show what they did."""

from __future__ import annotations

import contextlib
import os
import signal
from types import FrameType

from cli.common import ConfigOpt, config_path, load, prefect_env
from cli.output import say


def _children() -> list[int]:
    """Our direct child processes (a temporary Prefect server, flow-run subprocesses)."""
    mine = str(os.getpid())
    found = []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError), open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[-1].split()
                if fields[1] == mine:
                    found.append(int(entry))
    return found


def _stop_on_signals() -> None:
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) == 1:
            say("stopping keepwarm serve (again to quit at once)", style="yellow")
            raise KeyboardInterrupt
        for child in _children():
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGTERM)
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def serve(config: ConfigOpt = None) -> None:
    """Run the nightly and backfill deployments on this machine (Prefect serve)."""
    cfg = load(config)
    prefect_env(log_level="INFO")
    from deployments.serve import serve_all

    _stop_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        serve_all(config_path(config, cfg), cfg)
