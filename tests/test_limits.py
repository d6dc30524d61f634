"""Provider slots are global Prefect concurrency limits: two syncs of one Gmail user (from any
worker) never overlap, while different users run side by side."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from flows.limits import limit_names, provider_slot

pytestmark = pytest.mark.usefixtures("prefect_harness")


def gmail(address: str) -> SimpleNamespace:
    return SimpleNamespace(kind="gmail", address=address, name=address)


def run_together(accounts: list[SimpleNamespace], inside: object) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(account: SimpleNamespace) -> None:
        try:
            with provider_slot(account):
                inside()  # type: ignore[operator]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_same_gmail_user_is_serialised_across_callers() -> None:
    lock, now, peak = threading.Lock(), [0], [0]

    def inside() -> None:
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.5)
        with lock:
            now[0] -= 1

    assert run_together([gmail("ada@example.com")] * 3, inside) == []
    assert peak[0] == 1


def test_different_users_hold_their_slots_at_the_same_time() -> None:
    both_inside = threading.Barrier(2, timeout=60)
    errors = run_together([gmail("x@example.com"), gmail("y@example.com")], both_inside.wait)
    assert errors == []


def test_file_sources_take_no_slot() -> None:
    assert limit_names(SimpleNamespace(kind="mbox", name="t")) == []
    outlook = SimpleNamespace(kind="outlook", client_id="ABC-123", name="w")
    assert limit_names(outlook) == ["graph-app-abc-123"]
