"""`keepwarm serve`: the deployments of the repo root's prefect.yaml, run here by Prefect serve.

No work pool or worker is needed; the schedule lives in the Prefect API (a configured server,
else the local ephemeral one) for as long as this process runs.
"""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.schedules import Cron

from flows.nightly import nightly
from flows.sync import backfill, sync_account, sync_all
from models.config import Config


def build_deployments(config_path: str, config: Config) -> list[Any]:
    """nightly on the configured cron and time zone; backfill and sync on demand."""
    return [
        nightly.to_deployment(
            name="nightly",
            parameters={"config_path": config_path},
            schedule=Cron(config.report.nightly_cron, timezone=config.report.timezone),
            description="Sync all accounts, build the report, publish the digest, deliver it.",
            tags=["keepwarm", "nightly"],
        ),
        backfill.to_deployment(
            name="backfill",
            parameters={"config_path": config_path},
            description="Re-read one account over [since, until).",
            tags=["keepwarm", "backfill"],
        ),
        sync_all.to_deployment(
            name="sync",
            parameters={"config_path": config_path},
            description="Sync now.",
            tags=["keepwarm", "sync"],
        ),
        sync_account.to_deployment(
            name="sync-account",
            parameters={"config_path": config_path},
            description="Sync one account now.",
            tags=["keepwarm", "sync"],
        ),
    ]


def serve_all(config_path: str, config: Config, limit: int | None = None) -> None:
    serve(*build_deployments(config_path, config), limit=limit)
