"""Property-based mutations of the real corpus files (/work/shared/corpus/{vcard,ics,mbox}):
truncation, byte flips, NULs, invalid UTF-8, nested BEGINs and From_ lines, 0-byte files —
plus a 10 MB line, a directory, a FIFO and a symlink loop where a file is expected. Every input
ends in a clean sync, named skips (file:line) or a named FatalError of the account: never a
traceback, never a hang, memory bounded.

A failing input is saved under tests/faults/regressions/<kind>/ (commit it); every saved file
is replayed by `test_saved_regressions`, so a fixed failure stays fixed.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from ingest.sync import SyncSummary, sync_account_now
from models.config import config_from_dict
from models.store import Store
from tests.conftest import CORPUS

REGRESSIONS = Path(__file__).resolve().parent / "regressions"
KINDS = {"vcard": ".vcf", "ics": ".ics", "mbox": ".mbox"}
HANG_S = 30
BEGINS = {
    "vcard": b"BEGIN:VCARD\r\n",
    "ics": b"BEGIN:VEVENT\r\n",
    "mbox": b"From someone Mon Jan  1 00:00:00 2001\n",
}
STATS: dict[str, int] = {"inputs": 0, "tracebacks": 0, "hangs": 0}


def corpus(kind: str) -> list[Path]:
    folder = CORPUS / kind
    if not folder.is_dir():
        pytest.skip(f"no corpus at {folder}")
    return sorted(p for p in folder.iterdir() if p.is_file())


class Hang(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Hang()


class Runner:
    """One store per kind; each input is a new account (a new name), synced once."""

    def __init__(self, tmp: Path, kind: str) -> None:
        self.tmp, self.kind = tmp, kind
        self.url = f"sqlite:///{tmp / 'kw.db'}"
        self.store = Store(self.url)
        self.n = 0

    def sync(self, path: Path) -> SyncSummary | ConnectorError:
        self.n += 1
        name = f"{self.kind}{self.n}"
        account: dict[str, Any] = {"name": name, "kind": self.kind, "path": str(path)}
        if self.kind == "ics":
            account["lookback_days"] = 40000
        config = config_from_dict(
            {
                "store": {"url": self.url},
                "me": {"emails": ["me@example.com"]},
                "accounts": [account],
            }
        )
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(HANG_S)
        try:
            return sync_account_now(config, self.store, name)
        except ConnectorError as exc:
            assert f"account {name!r}" in str(exc), exc
            return exc
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


def judge(runner: Runner, data: bytes, suffix: str) -> None:
    """Sync `data` as one export file; a traceback or hang saves it as a regression."""
    STATS["inputs"] += 1
    folder = runner.tmp / f"in{runner.n}"
    folder.mkdir()
    path = folder / f"export{suffix}"
    path.write_bytes(data)
    try:
        outcome = runner.sync(path)
    except Hang:
        STATS["hangs"] += 1
        save(runner.kind, data, suffix)
        raise AssertionError(f"hang over {HANG_S} s on a {len(data)}-byte {runner.kind}") from None
    except Exception:
        STATS["tracebacks"] += 1
        saved = save(runner.kind, data, suffix)
        raise AssertionError(f"traceback on an input saved as {saved}") from None
    if isinstance(outcome, SyncSummary):
        for example in outcome.skip_examples:
            where = example.split(": ", 1)[0]
            assert where and "export" in where, example  # skips name the file (and line)


def save(kind: str, data: bytes, suffix: str) -> Path:
    folder = REGRESSIONS / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    path.write_bytes(data)
    return path


@st.composite
def mutated(draw: st.DrawFn, kind: str, files: list[Path]) -> bytes:
    data = bytearray(draw(st.sampled_from(files)).read_bytes())
    ops = draw(
        st.lists(
            st.sampled_from(["truncate", "flip", "nul", "utf8", "nest", "empty", "crlf"]),
            min_size=1,
            max_size=4,
        )
    )
    for op in ops:
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            for _ in range(draw(st.integers(1, 16))):
                i = draw(st.integers(0, len(data) - 1))
                data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "nul":
            data[at:at] = b"\x00" * draw(st.integers(1, 64))
        elif op == "utf8":
            data[at:at] = draw(
                st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x80" * 5])
            )
        elif op == "nest":
            data[at:at] = BEGINS[kind] * draw(st.integers(1, 300))
        elif op == "empty":
            data.clear()
        elif op == "crlf":
            data[:] = data.replace(b"\n", draw(st.sampled_from([b"\r", b"\r\r\n", b"\n\n"])))
    return bytes(data)


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def runner(tmp_path_factory: pytest.TempPathFactory, kind: str) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp(f"fuzz-{kind}"), kind)
    yield r
    r.store.close()


def test_mutated_corpus_files_end_cleanly(runner: Runner, kind: str) -> None:
    files = corpus(kind)
    examples = int(os.environ.get("KEEPWARM_FUZZ_EXAMPLES", "150"))

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(data=mutated(kind, files))
    def check(data: bytes) -> None:
        judge(runner, data, KINDS[kind])

    check()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fuzz {kind}: {runner.n} inputs, peak RSS {peak_mb:.0f} MB, {STATS}", file=sys.stderr)
    assert peak_mb < 2048


def test_every_corpus_file_as_is(runner: Runner, kind: str) -> None:
    for path in corpus(kind):
        judge(runner, path.read_bytes(), KINDS[kind])


class PeakRss:
    """The process's resident memory above where it started, sampled while a block runs."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.base = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def grown(self) -> int:
        return self.peak - self.base


def test_a_10_mb_line_is_bounded(runner: Runner, kind: str) -> None:
    base = corpus(kind)[0].read_bytes()
    cut = base.find(b"\n", len(base) // 2) + 1
    line = b"X-Long: " + b"A" * (10 * 2**20) + b"\n"
    data = base[:cut] + line + base[cut:]
    started = time.perf_counter()
    with PeakRss() as rss:
        judge(runner, data, KINDS[kind])
    seconds = time.perf_counter() - started
    print(f"10 MB line, {kind}: {seconds:.1f} s, RSS +{rss.grown / 2**20:.0f} MB", file=sys.stderr)
    assert rss.grown < 12 * len(data), rss.grown  # O(N): a few copies of the input at most
    assert seconds < HANG_S


def test_not_a_file_where_a_file_is_expected(runner: Runner, kind: str) -> None:
    suffix = KINDS[kind]
    root = runner.tmp / "odd"
    root.mkdir()
    (root / f"folder{suffix}").mkdir()  # a directory with the export's name
    (root / f"folder{suffix}" / f"inner{suffix}").mkdir()
    os.mkfifo(root / f"pipe{suffix}")  # a FIFO: reading it would block forever
    (root / f"loop{suffix}").symlink_to(root / f"loop2{suffix}")
    (root / f"loop2{suffix}").symlink_to(root / f"loop{suffix}")
    (root / "cycle").symlink_to(root)  # a directory symlink loop
    for target in (root, root / f"folder{suffix}", root / f"loop{suffix}", root / f"pipe{suffix}"):
        outcome = runner.sync(target)
        assert isinstance(outcome, ConnectorError), (target, outcome)


def saved_regressions() -> list[Path]:
    return sorted(p for p in REGRESSIONS.rglob("*") if p.is_file()) if REGRESSIONS.is_dir() else []


@pytest.mark.parametrize("path", saved_regressions(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_saved_regressions(path: Path, tmp_path: Path) -> None:
    runner = Runner(tmp_path, path.parent.name)
    judge(runner, path.read_bytes(), path.suffix)
    runner.store.close()
