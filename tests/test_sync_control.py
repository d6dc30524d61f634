"""Issue 10 item 4, issue 11 items 3, 8 and 15: progress from the sync loop (with an ETA where
the source knows its size), a clean stop on SIGINT/SIGTERM at a batch boundary that keeps what
was stored, no orphan processes when the CLI is killed, and an overall deadline plus a stall
detector per account that fail that account while the others go on."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import Field

from connectors.base import Connector, Me, Window
from connectors.registry import registered
from connectors.source import BuildOptions, Source
from ingest.sync import (
    SyncControl,
    SyncProgress,
    SyncTimedOut,
    sync_account_now,
    sync_accounts,
)
from models.config import config_from_dict
from models.records import Batch
from models.settings import AccountSettings
from models.store import Store
from tests.builders import sent
from tests.mailbox import write_mbox

BIN = Path(sys.executable).parent


def mbox_config(tmp_path: Path, mbox: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n[me]\nemails = ["me@example.com"]\n'
        f'[[accounts]]\nname = "takeout"\nkind = "mbox"\npath = "{mbox}"\n',
        encoding="utf-8",
    )
    return path


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PREFECT_API"))}
    env.pop("PREFECT_API_URL", None)
    return env


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return int(conn.execute("SELECT count(*) FROM interaction").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_mbox_progress_counts_bytes_with_an_eta(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "mail.mbox", 3000)
    config = config_from_dict(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'kw.db'}"},
            "me": {"emails": ["me@example.com"]},
            "accounts": [{"name": "takeout", "kind": "mbox", "path": str(mbox)}],
        }
    )
    seen: list[SyncProgress] = []
    store = Store(config.store.url)
    control = SyncControl(on_progress=seen.append, progress_every_s=0.0)
    summary = sync_account_now(config, store, "takeout", control=control)
    store.close()
    assert summary.seen == 3000
    sized = [p for p in seen if p.total]
    assert sized and all(p.unit == "bytes" and p.total == mbox.stat().st_size for p in sized)
    assert sized[-1].done == sized[-1].total
    done = [p.done for p in sized]
    assert done == sorted(done)
    assert any(p.eta() is not None for p in sized[:-1])
    assert seen[-1].seen == 3000 and seen[-1].batches == summary.batches


@pytest.mark.slow
def test_progress_is_drawn_on_a_terminal_and_quiet_in_a_pipe(tmp_path: Path) -> None:
    import pty

    mbox = write_mbox(tmp_path / "mail.mbox", 20000)
    config = mbox_config(tmp_path, mbox)
    piped = subprocess.run(
        [str(BIN / "keepwarm"), "sync", "--config", str(config)],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert piped.returncode == 0, piped.stderr
    assert "records" not in piped.stderr  # no progress lines in a pipe
    (tmp_path / "kw.db").unlink()
    pid, fd = pty.fork()
    if pid == 0:  # the child: keepwarm on a terminal
        os.execve(str(BIN / "keepwarm"), ["keepwarm", "sync", "--config", str(config)], cli_env())
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "takeout" in screen and "records" in screen and " of " in screen and "MB" in screen


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_sync_at_a_batch_boundary_keeping_what_was_stored(
    tmp_path: Path, signum: int
) -> None:
    total = 60000
    mbox = write_mbox(tmp_path / "mail.mbox", total)
    config = mbox_config(tmp_path, mbox)
    db = tmp_path / "kw.db"
    process = subprocess.Popen(
        [str(BIN / "keepwarm"), "sync", "--config", str(config)],
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while stored(db) == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the sync ended before it could be interrupted"
    process.send_signal(signum)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert "stopping at the next batch boundary" in err
    assert "interrupted" in err and "kept" in err and "Traceback" not in err
    kept = stored(db)
    assert 0 < kept < total
    assert kept % 500 == 0  # whole batches only: the one being stored when asked is kept whole
    again = subprocess.run(
        [str(BIN / "keepwarm"), "sync", "--config", str(config)],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert stored(db) == total  # the second sync continued: nothing lost, nothing twice


def test_a_killed_sync_leaves_no_process_behind(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    mbox = write_mbox(tmp_path / "mail.mbox", 60000)
    config = mbox_config(tmp_path, mbox)
    process = subprocess.Popen(
        [str(BIN / "keepwarm"), "sync", "--config", str(config)],
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    db = tmp_path / "kw.db"
    deadline = time.monotonic() + 120
    while stored(db) == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    parent = psutil.Process(process.pid)
    children = parent.children(recursive=True)
    group = [p for p in psutil.process_iter(["pid"]) if _pgid(p.pid) == process.pid]
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.5)
    alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert children == [] and alive == []  # no temporary Prefect server, no workers
    left = [p for p in group if p.pid != process.pid and p.is_running()]
    assert left == []


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


# -- deadline and stall, with a source defined here --------------------------------------


class SlowAccount(AccountSettings):
    kind: str = Field(default="slow", pattern="^slow$")
    pause_s: float = 0.0
    hang_after: int = -1
    batches: int = 5


class SlowConnector:
    def __init__(self, account: SlowAccount) -> None:
        self.account = account.name
        self.settings = account
        self.release = threading.Event()

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        for n in range(self.settings.batches):
            if n == self.settings.hang_after:
                self.release.wait(30)  # a hung source
            time.sleep(self.settings.pause_s)
            yield Batch(
                interactions=[sent(f"{self.account}-{n}", "2026-01-01T10:00:00", "a@example.com")],
                seen=1,
                cursor=str(n),
            )


def slow_source() -> Source[SlowAccount]:
    from typing import Literal

    class Settings(SlowAccount):
        kind: Literal["slow"] = "slow"  # type: ignore[assignment]

    def build(account: Settings, _me: Me, _options: BuildOptions) -> Connector:
        return SlowConnector(account)

    return Source(kind="slow", settings=Settings, build=build)  # type: ignore[arg-type]


def slow_config(tmp_path: Path, accounts: list[dict[str, object]]) -> object:
    return config_from_dict(
        {
            "store": {"url": f"sqlite:///{tmp_path / 'kw.db'}"},
            "me": {"emails": ["me@example.com"]},
            "accounts": [{"kind": "slow", **a} for a in accounts],
        }
    )


def test_a_stalled_source_fails_its_account_and_the_others_go_on(tmp_path: Path) -> None:
    with registered(slow_source()):
        config = slow_config(
            tmp_path, [{"name": "hung", "hang_after": 2}, {"name": "fine", "pause_s": 0.05}]
        )
        control = SyncControl(stall_s=0.5)
        started = time.monotonic()
        results = sync_accounts(config, ["hung", "fine"], control)  # type: ignore[arg-type]
        assert time.monotonic() - started < 10
    hung, fine = results
    assert "no batch from the source" in hung["error"] and "stall_minutes" in hung["error"]
    assert hung["batches"] == 2  # what came before the stall is stored and kept
    assert fine.get("error") is None and fine["batches"] == 5


def test_the_deadline_is_enforced_between_batches(tmp_path: Path) -> None:
    with registered(slow_source()):
        config = slow_config(tmp_path, [{"name": "slowpoke", "pause_s": 0.3, "batches": 20}])
        store = Store(config.store.url)  # type: ignore[attr-defined]
        with pytest.raises(SyncTimedOut, match="deadline") as stopped:
            sync_account_now(
                config,  # type: ignore[arg-type]
                store,
                "slowpoke",
                control=SyncControl(deadline_s=1.0),
            )
        store.close()
    assert 1 <= stopped.value.summary.batches < 20
    assert Store(config.store.url).sync_state("slowpoke") is not None  # type: ignore[attr-defined]


def test_the_sync_config_sets_deadline_and_stall(tmp_path: Path) -> None:
    from ingest.sync import control_for

    config = config_from_dict({"sync": {"deadline_minutes": 5, "stall_minutes": 0.5}})
    control = control_for(config)
    assert (control.deadline_s, control.stall_s) == (300, 30)
    default = control_for(config_from_dict({}))
    assert default.deadline_s == 2 * 3600


def test_gmail_reports_its_sent_threads_against_their_total(tmp_path: Path) -> None:
    """Gmail's backfill knows how many sent threads it will read: progress has an end."""
    from connectors.gmail.connector import GmailConnector
    from connectors.source import Progress
    from tests.connectors.test_gmail import FAST, account_for
    from tests.fakes.gmail_server import ME, Clock, FakeGmail, generate_mailbox

    with FakeGmail(units_per_second=None, clock=Clock(virtual=True)) as fake:
        generate_mailbox(fake, messages=300, seed=3)
        account = account_for(fake, tmp_path)
        got: list[Progress] = []
        connector = GmailConnector(
            account,
            Me(frozenset({ME})),
            batch_size=100,
            sleep=fake.clock.sleep,
            clock=fake.clock.now,
            progress=False,
            report=got.append,
        )
        batches = list(connector.batches(None))
    assert batches and FAST
    threads = [p for p in got if p.unit == "sent threads"]
    assert threads and threads[-1].done == threads[-1].total and threads[-1].total > 0
    assert [p.done for p in threads] == sorted(p.done for p in threads)
    assert any(p.unit == "messages" and p.total is None for p in got)


def test_backfill_without_a_prefect_api_runs_here_and_is_idempotent(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "mail.mbox", 1200)
    config = mbox_config(tmp_path, mbox)
    code = (
        "import sys\n"
        "from cli.main import app\n"
        "for _ in range(2):\n"
        "    try:\n"
        f"        app(['backfill', '--account', 'takeout', '--config', {str(config)!r}])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=cli_env()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("NO-PREFECT")
    assert stored(tmp_path / "kw.db") == 1200
