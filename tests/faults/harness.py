"""What the fault tests share: running keepwarm as a killable subprocess (tests/faults/killer.py),
a row-level canonical dump of the store, and the kill-then-rerun campaign with its tally."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
KILLER = Path(__file__).resolve().parent / "killer.py"
RERUN_TIMEOUT_S = 240.0


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    children_left: int  # processes the run started that outlived it


def run(point: str, args: list[str], env: dict[str, str], timeout: float = RERUN_TIMEOUT_S) -> Run:
    """One keepwarm process, killed at `point` (or not: "none"); waits for it to end."""
    # Files, not pipes: a chatty run (DEBUG logs) would block on a full pipe while we poll.
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(KILLER), point, "--", *args],
            cwd=ROOT,
            env=env,
            stdout=out_file,
            stderr=err_file,
            text=True,
            start_new_session=True,
        )
        seen: set[int] = set()
        try:
            parent = psutil.Process(proc.pid)
            while proc.poll() is None:
                with contextlib.suppress(psutil.Error):
                    seen.update(c.pid for c in parent.children(recursive=True))
                if time.monotonic() - started > timeout:
                    os.killpg(proc.pid, signal.SIGKILL)
                    raise AssertionError(f"keepwarm {args} hung for {timeout:.0f} s ({point})")
                time.sleep(0.05)
        except psutil.NoSuchProcess:
            pass
        proc.wait()
        seconds = time.monotonic() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    left = [pid for pid in seen if psutil.pid_exists(pid)]
    for pid in left:  # counted, then cleaned up so one trial's orphan cannot skew the next
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return Run(proc.returncode, out, err, seconds, len(left))


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "COLUMNS": "200",
        }
    )
    api = PREFECT_API_URL.value()
    if api:  # the test session's Prefect API: no temporary server per process
        env["PREFECT_API_URL"] = str(api)
    env.update(extra or {})
    return env


# -- the store, row by row ------------------------------------------------------------------


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table as sorted tuples with generated ids replaced by natural keys (interaction
    key, a person's identities); leases, sync timestamps, creation times and round marks are
    left out (they are bookkeeping, not data)."""
    engine = create_engine(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(text(sql))]

        ident: dict[str, list[str]] = {}
        for kind, value, person in rows("SELECT kind, value, person_id FROM identity"):
            ident.setdefault(person, []).append(f"{kind}:{value}")
        label = {p: "|".join(sorted(v)) for p, v in ident.items()}
        for (person,) in rows("SELECT id FROM person"):
            label.setdefault(person, "no-identity")
        keys = dict(rows("SELECT id, key FROM interaction"))

        def person(pid: Any) -> Any:
            return label.get(pid, pid) if pid is not None else None

        out["person"] = sorted(
            (person(r[0]), *r[1:])
            for r in rows(
                "SELECT id, display_name, name_source, cadence_override, tier_override, "
                "name_at, snoozed_until, ignored FROM person"
            )
        )
        out["identity"] = sorted(
            (r[0], r[1], person(r[2]), r[3], r[4])
            for r in rows("SELECT kind, value, person_id, source, pinned FROM identity")
        )
        out["card"] = sorted(
            (r[0], r[1], r[2], person(r[3]), *r[4:])
            for r in rows(
                "SELECT key, source, account, person_id, name, emails, phones, categories, "
                "birthday, is_org, origin FROM card"
            )
        )
        out["interaction"] = sorted(
            rows(
                "SELECT key, source, account, occurred_at, channel, direction, group_size, "
                "bulk, automated, cancelled, declined, subject, thread_id, to_me, newsletter "
                "FROM interaction"
            )
        )
        out["participant"] = sorted(
            (keys[r[0]], *r[1:])
            for r in rows(
                "SELECT interaction_id, kind, value, role, name, declined FROM participant"
            )
        )
        out["contact"] = sorted(
            (keys[r[0]], r[1], r[2], person(r[3]), *r[4:])
            for r in rows(
                "SELECT interaction_id, kind, value, person_id, occurred_at, day, channel, "
                "direction, source, account, personal FROM contact"
            )
        )
        out["machine_sender"] = sorted(rows("SELECT kind, value FROM machine_sender"))
        out["meta"] = sorted(rows("SELECT key, value FROM meta"))
        out["sync_state"] = sorted(
            rows("SELECT account, kind, aliases, skipped_total FROM sync_state")
        )
    engine.dispose()
    return out


def diff(
    reference: dict[str, list[tuple[Any, ...]]], got: dict[str, list[tuple[Any, ...]]]
) -> tuple[int, int]:
    """(rows lost, rows extra or changed) over every table."""
    lost = extra = 0
    for table, rows in reference.items():
        want, have = Counter(rows), Counter(got.get(table, []))
        lost += sum((want - have).values())
        extra += sum((have - want).values())
    return lost, extra


def held_leases(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        held = conn.execute(text("SELECT count(*) FROM lease WHERE holder IS NOT NULL")).scalar()
    engine.dispose()
    return int(held or 0)


def report_json(config: Path, env: dict[str, str], as_of: date) -> Any:
    """The report as --format json prints it, person ids dropped (they are generated)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "report",
            "--format",
            "json",
            "--as-of",
            as_of.isoformat(),
            "--config",
            str(config),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data = json.loads(result.stdout)
    data.pop("generated_at", None)

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "id"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


# -- a campaign: kill, rerun, … then compare with an uninterrupted run ------------------------


@dataclass
class Tally:
    source: str
    points: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    stale_locks: int = 0  # reruns refused because of the killed run's lock
    held_slots: int = 0  # leases still held after the campaign's last run
    orphans: int = 0
    hung: int = 0
    rerun_seconds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        slowest = max(self.rerun_seconds, default=0.0)
        return (
            f"{self.source}: {len(self.points)} kill points / lost {self.lost} / duplicated "
            f"{self.duplicated} / stale locks {self.stale_locks} / held slots {self.held_slots} "
            f"/ orphans {self.orphans} / hung reruns {self.hung} (slowest rerun {slowest:.1f} s)"
        )


def kill_points(seed: int, batches: int, count: int = 10) -> list[str]:
    """`count` seeded kill points spread over the first `batches` commits, in order, mixing
    batch boundaries, uncommitted transactions and kills between commits."""
    rng = random.Random(seed)
    spots = sorted(rng.sample(range(1, max(batches, count + 1)), count))
    kinds = ["boundary", "commit", "timer"]
    points = []
    for n, spot in enumerate(spots):
        kind = kinds[n % 3]
        points.append(
            f"timer:{spot}:{rng.uniform(0.02, 0.4):.2f}" if kind == "timer" else f"{kind}:{spot}"
        )
    return points


def campaign(
    source: str, args: list[str], env: dict[str, str], url: str, points: list[str]
) -> Tally:
    """Each point: a fresh process resumes where the last one was killed and is killed again
    later on (the commit counts are per process, so the points are relative to each rerun's
    own progress), then one run to the end."""
    tally = Tally(source, points)
    previous = 0
    for point in points:
        kind, _, rest = point.partition(":")
        number, _, seconds = rest.partition(":")
        step = max(1, int(number) - previous)
        previous = int(number)
        relative = f"{kind}:{step}" + (f":{seconds}" if seconds else "")
        result = run(relative, args, env)
        tally.orphans += result.children_left
        if result.code != -signal.SIGKILL:
            tally.notes.append(f"{point}: ended {result.code} before the kill point")
            if "already being synced" in result.stderr + result.stdout:
                tally.stale_locks += 1
            if result.code not in (0, -signal.SIGKILL):
                raise AssertionError(
                    f"{source} {point}: exit {result.code}\n{result.stderr[-3000:]}"
                )
        else:
            tally.rerun_seconds.append(result.seconds)
    final = run("none", args, env)
    tally.rerun_seconds.append(final.seconds)
    tally.orphans += final.children_left
    if "already being synced" in final.stderr + final.stdout:
        tally.stale_locks += 1
    assert final.code == 0, f"{source}: final rerun exit {final.code}\n{final.stderr[-3000:]}"
    tally.held_slots = held_leases(url)
    return tally
