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


def spans(accounts: list[SimpleNamespace], hold: float = 0.8) -> list[tuple[float, float]]:
    result: list[tuple[float, float]] = [(0.0, 0.0)] * len(accounts)

    def run(index: int) -> None:
        with provider_slot(accounts[index]):
            start = time.monotonic()
            time.sleep(hold)
            result[index] = (start, time.monotonic())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(accounts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return result


def test_same_gmail_user_is_serialised_across_callers() -> None:
    (a_start, a_end), (b_start, b_end) = spans([gmail("ada@example.com")] * 2)
    assert a_end <= b_start or b_end <= a_start


def test_different_users_overlap() -> None:
    (a_start, a_end), (b_start, b_end) = spans([gmail("x@example.com"), gmail("y@example.com")])
    assert a_start < b_end and b_start < a_end


def test_file_sources_take_no_slot() -> None:
    assert limit_names(SimpleNamespace(kind="mbox", name="t")) == []
    outlook = SimpleNamespace(kind="outlook", client_id="ABC-123", name="w")
    assert limit_names(outlook) == ["graph-app-abc-123"]
