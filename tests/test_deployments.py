"""The deployments are real, and the README's words work as written: from the repo root,
`prefect work-pool create keepwarm --type process`, `prefect deploy --all` (schedule, time zone
and config path read from the keepwarm config), `prefect worker start --pool keepwarm`, and a
nightly run that completes, named `nightly-YYYY-MM-DD`, tagged, with its INFO logs and the digest
artifact in the API. `keepwarm serve` registers the same schedule, its runs log at INFO, and
SIGTERM (or a second Ctrl-C) stops it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.mailbox import write_mbox

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def api_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a user's shell has: the virtualenv active, the Prefect server's URL."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PREFECT_"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(BIN.parent),
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        **extra,
    )
    return env


def config_file(tmp_path: Path) -> Path:
    mbox = write_mbox(tmp_path / "mail.mbox", 300)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
        '[me]\nemails = ["me@example.com"]\n'
        f'[[accounts]]\nname = "takeout"\nkind = "mbox"\npath = "{mbox}"\n'
        '[report]\nnightly_cron = "30 5 * * *"\ntimezone = "Europe/Berlin"\n',
        encoding="utf-8",
    )
    return path


def read_deployment(name: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


def run_and_wait(deployment: str, timeout: float = 240) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        target = client.read_deployment_by_name(deployment)
        run = client.create_flow_run_from_deployment(target.id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run
            time.sleep(1)
    raise AssertionError(f"{deployment}: run did not finish in {timeout} s ({run.state})")


def logs_of(run_id: Any) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return [f"{log.level} {log.message}" for log in logs]


def wait_for_log(run_id: Any, wanted: Any, timeout: float = 60) -> list[str]:
    """Logs reach the API in batches, a little after the run's final state."""
    deadline = time.monotonic() + timeout
    logs = logs_of(run_id)
    while not any(wanted(line) for line in logs) and time.monotonic() < deadline:
        time.sleep(1)
        logs = logs_of(run_id)
    return logs


def stop(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_flow_and_task_names_are_unique() -> None:
    from flows.nightly import deliver_task, nightly, publish_digest
    from flows.sync import backfill, sync_account, sync_account_task, sync_all

    flows = [f.name for f in (nightly, backfill, sync_account, sync_all)]
    tasks = [t.name for t in (deliver_task, publish_digest, sync_account_task)]
    names = flows + tasks
    assert len(names) == len(set(names)), names


def test_keepwarm_serve_registers_logs_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    process = subprocess.Popen(
        [str(BIN / "keepwarm"), "serve", "--config", str(config)],
        env=api_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        nightly = None
        while time.monotonic() < deadline and process.poll() is None:
            try:  # serve registers its deployments one after the other
                nightly = read_deployment("nightly/nightly")
                served = read_deployment("sync-all/sync")
                if all(d.parameters.get("config_path") == str(config) for d in (nightly, served)):
                    break
            except Exception:
                pass
            time.sleep(1)
        assert nightly is not None, "serve did not register the nightly deployment"
        schedule = nightly.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("30 5 * * *", "Europe/Berlin")
        run = run_and_wait("sync-all/sync")
        assert run.state.is_completed(), run.state
        logs = wait_for_log(run.id, lambda line: line.startswith("20 ") and "takeout" in line)
        assert any(line.startswith("20 ") and "takeout" in line for line in logs), logs
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        process.wait(timeout=60)
        assert time.monotonic() - started < 60
    finally:
        stop(process)


def test_keepwarm_serve_quits_on_a_second_ctrl_c(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    process = subprocess.Popen(
        [str(BIN / "keepwarm"), "serve", "--config", str(config)],
        env=api_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        time.sleep(8)
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    finally:
        stop(process)


def test_readme_deploy_path_worker_and_a_nightly_run(tmp_path: Path) -> None:
    """Last in this file: the same deployment names registered by `prefect deploy` (with a
    work pool and pull steps) would otherwise be taken over by the serve tests' runner."""
    from prefect.client.orchestration import get_client

    config = config_file(tmp_path)
    env = api_env(tmp_path, KEEPWARM_CONFIG=str(config))

    def prefect(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "prefect"), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    created = prefect("work-pool", "create", "keepwarm", "--type", "process")
    assert created.returncode == 0 or "already exists" in created.stdout + created.stderr
    deployed = prefect("--no-prompt", "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    nightly = read_deployment("nightly/nightly")
    assert nightly.work_pool_name == "keepwarm"
    schedule = nightly.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("30 5 * * *", "Europe/Berlin")
    assert set(nightly.tags) >= {"keepwarm", "nightly"}
    for name in (
        "nightly/nightly",
        "backfill/backfill",
        "sync-all/sync",
        "sync-account/sync-account",
    ):
        assert read_deployment(name).parameters["config_path"] == str(config)
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", "keepwarm"],
        cwd=tmp_path,  # not the repo: the deployment's pull step must find it
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        run = run_and_wait("nightly/nightly")
    finally:
        stop(worker)
    assert run.state.is_completed(), (run.state, logs_of(run.id)[-20:])
    assert run.name.startswith("nightly-") and len(run.name) == len("nightly-2026-12-07")
    assert "keepwarm" in run.tags
    done = "20 nightly: 1 account(s) synced, delivered to 0 channel(s)"
    logs = wait_for_log(run.id, lambda line: line == done)
    assert done in logs, logs  # INFO, in the API
    with get_client(sync_client=True) as client:
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["keepwarm-digest"]))
        )
    assert artifacts and artifacts[0].type == "markdown"
