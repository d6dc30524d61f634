"""The deployments are real: `prefect deploy --all` from deployments/ registers them against a
Prefect API, and `keepwarm serve` registers the nightly schedule from the config."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def api_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        PREFECT_API_URL=str(PREFECT_API_URL.value()),
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        **extra,
    )
    return env


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
        '[report]\nnightly_cron = "30 5 * * *"\ntimezone = "Europe/Berlin"\n',
        encoding="utf-8",
    )
    return path


def read_deployment(name: str) -> Any:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_deployment_by_name(name)


def test_prefect_deploy_all_registers_every_deployment(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    # The pool may already exist from an earlier test in this session.
    with get_client(sync_client=True) as client, contextlib.suppress(Exception):
        client.create_work_pool(WorkPoolCreate(name="keepwarm", type="process"))
    env = api_env(
        tmp_path,
        KEEPWARM_CONFIG=str(config_file(tmp_path)),
        KEEPWARM_NIGHTLY_CRON="30 5 * * *",
        KEEPWARM_TIMEZONE="Europe/Berlin",
        KEEPWARM_HOME=str(ROOT),
    )
    done = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
        cwd=ROOT / "deployments",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    nightly = read_deployment("nightly/nightly")
    assert nightly.work_pool_name == "keepwarm"
    schedule = nightly.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("30 5 * * *", "Europe/Berlin")
    for name in ("backfill/backfill", "sync-all/sync", "sync-account/sync-account"):
        assert read_deployment(name).parameters["config_path"] == env["KEEPWARM_CONFIG"]


def test_keepwarm_serve_registers_the_nightly_schedule(tmp_path: Path) -> None:
    config = config_file(tmp_path)
    process = subprocess.Popen(
        [str(BIN / "keepwarm"), "serve", "--config", str(config)],
        env=api_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        nightly = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                nightly = read_deployment("nightly/nightly")
                if nightly.parameters.get("config_path") == str(config):
                    break
            except Exception:
                pass
            time.sleep(1)
        assert nightly is not None, "serve did not register the nightly deployment"
        schedule = nightly.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("30 5 * * *", "Europe/Berlin")
        assert read_deployment("backfill/backfill") is not None
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
