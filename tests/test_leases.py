"""Leases (models.leases): one winner among racing processes, dead holders never block.

Both the per-account sync lock and the provider slots (one sync per Gmail user / Graph app)
are leases, so these are the tests of both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from connectors.gmail.settings import GmailAccount
from connectors.mbox.settings import MboxAccount
from connectors.outlook.settings import OutlookAccount
from ingest.limits import SlotTimeout, limit_names, provider_slot
from models.leases import LeaseBusy, hold, try_acquire
from models.schema import LeaseRow
from models.store import AccountBusyError, Store, account_lease

ROOT = Path(__file__).resolve().parents[1]


def python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_racing_processes_exactly_one_acquires(store_url: str, tmp_path: Path) -> None:
    Store(store_url).close()  # migrated once, so the racers only race for the lease
    go = tmp_path / "go"
    racers = [
        python(
            f"""
            import time, pathlib
            from models.store import Store, account_lease, AccountBusyError
            store = Store({store_url!r})
            while not pathlib.Path({str(go)!r}).exists():
                time.sleep(0.01)
            try:
                with account_lease(store, "shared"):
                    print("acquired", flush=True)
                    time.sleep(4)
            except AccountBusyError as exc:
                print("busy:", exc, flush=True)
            """
        )
        for _ in range(6)
    ]
    time.sleep(3)  # every racer imported and waiting at the line
    go.touch()
    outputs = [racer.communicate(timeout=60) for racer in racers]
    lines = [out.strip() for out, _ in outputs]
    assert sum(line == "acquired" for line in lines) == 1, outputs
    busy = [line for line in lines if line.startswith("busy:")]
    assert len(busy) == 5 and all("already being synced by process" in b for b in busy), lines


def test_a_killed_holder_is_taken_over_at_once(store_url: str) -> None:
    store = Store(store_url)
    gmail = GmailAccount(kind="gmail", address="ada@example.com", name="personal")
    holder = python(
        f"""
        import time
        from connectors.gmail.settings import GmailAccount
        from ingest.limits import provider_slot
        from models.store import Store, account_lease
        store = Store({store_url!r})
        gmail = GmailAccount(kind="gmail", address="ada@example.com", name="personal")
        with account_lease(store, "personal"), provider_slot(store, gmail):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    with (
        pytest.raises(AccountBusyError, match=f"process {holder.pid}"),
        account_lease(store, "personal"),
    ):
        pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    said: list[str] = []
    started = time.monotonic()
    with account_lease(store, "personal") as lease, provider_slot(store, gmail, say=said.append):
        assert lease.took_over is not None and f":{holder.pid}:" in lease.took_over
    assert time.monotonic() - started < 5
    assert any("taken over" in line for line in said)
    store.close()


def test_waiting_for_a_live_slot_says_so_and_times_out(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    outlook = OutlookAccount(kind="outlook", client_id="APP-1", name="work")
    said: list[str] = []
    with (
        provider_slot(store, outlook),
        pytest.raises(SlotTimeout, match="gave up after"),
        provider_slot(store, outlook, wait_s=0.5, say=said.append),
    ):
        pass
    assert len(said) == 1 and "waiting for slot graph-app-app-1" in said[0]
    with provider_slot(store, outlook, wait_s=0.5):  # released: free again
        pass
    store.close()


def test_a_waiter_gets_the_slot_when_the_holder_finishes(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    gmail = GmailAccount(kind="gmail", address="bo@example.com", name="b")
    inside = threading.Event()
    order: list[str] = []

    def first() -> None:
        with provider_slot(store, gmail):
            inside.set()
            time.sleep(1)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(10)
    with provider_slot(store, gmail, wait_s=30):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    store.close()


def test_a_holder_on_another_host_blocks_until_its_lease_expires(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with hold(store.engine, "account:x"):
        pass  # creates the row
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=60)
    with store.engine.begin() as conn:
        conn.execute(
            update(LeaseRow)
            .where(LeaseRow.name == "account:x")
            .values(holder="elsewhere.example:4242:123", expires_at=soon)
        )
    with pytest.raises(LeaseBusy, match=r"process 4242 on elsewhere\.example"):
        try_acquire(store.engine, "account:x")
    with store.engine.begin() as conn:
        conn.execute(
            update(LeaseRow)
            .where(LeaseRow.name == "account:x")
            .values(expires_at=soon - timedelta(seconds=120))
        )
    try_acquire(store.engine, "account:x").release()
    store.close()


def test_a_lease_renews_itself_and_notices_when_it_was_lost(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    lease = try_acquire(store.engine, "account:y", ttl=0.6)
    time.sleep(1.5)  # longer than the ttl: renewed by the heartbeat, still ours
    with pytest.raises(LeaseBusy):
        try_acquire(store.engine, "account:y")
    lease.check()
    with store.engine.begin() as conn:  # someone else took it
        conn.execute(update(LeaseRow).values(holder="other:1:1"))
    time.sleep(0.6)
    with pytest.raises(Exception, match="lost its lease"):
        lease.check()
    lease.release()
    store.close()


def test_file_sources_take_no_slot() -> None:
    assert limit_names(MboxAccount(kind="mbox", name="t", path="t.mbox")) == []
    outlook = OutlookAccount(kind="outlook", client_id="ABC-123", name="w")
    assert limit_names(outlook) == ["graph-app-abc-123"]


def test_racing_for_a_provider_slot_round_after_round(store_url: str, tmp_path: Path) -> None:
    """Six processes race for one Gmail user's slot ten times over: each round exactly one
    holds it (the holder keeps it until every racer has tried), the others are told who."""
    Store(store_url).close()
    racers, rounds = 6, 10
    procs = [
        python(
            f"""
            import pathlib, time
            from models.leases import LeaseBusy, try_acquire
            from models.store import Store
            store = Store({store_url!r})
            base = pathlib.Path({str(tmp_path)!r})
            for r in range({rounds}):
                while not (base / f"go{{r}}").exists():
                    time.sleep(0.005)
                try:
                    lease = try_acquire(store.engine, "slot:gmail-user-ada_example_com")
                except LeaseBusy as busy:
                    (base / f"r{{r}}-{{id(busy)}}-{n}").write_text("busy")
                    print(r, "busy", busy, flush=True)
                    continue
                (base / f"r{{r}}-won-{n}").write_text("won")
                print(r, "acquired", flush=True)
                while len(list(base.glob(f"r{{r}}-*"))) < {racers}:
                    time.sleep(0.005)
                lease.release()
            """
        )
        for n in range(racers)
    ]
    time.sleep(3)
    for r in range(rounds):
        (tmp_path / f"go{r}").touch()
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob(f"r{r}-*"))) < racers and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the winner releases once all have tried
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    lines = [line.split(" ", 2) for out in outputs for line in out.splitlines()]
    for r in range(rounds):
        won = [parts for parts in lines if parts[0] == str(r) and parts[1] == "acquired"]
        busy = [parts for parts in lines if parts[0] == str(r) and parts[1] == "busy"]
        assert len(won) == 1 and len(busy) == racers - 1, (r, lines)
        assert all("is held by process" in parts[2] for parts in busy)
