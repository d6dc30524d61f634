"""Prefect flows that sync accounts: one task per account, batches stored as they arrive.

Names are unique: the flows `sync-all`, `sync-account` and `backfill`, the task `sync`
(runs named `sync <account>`). Each run is tagged `keepwarm`; a deployment adds its own tags.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner

from ingest import sync as loop
from ingest.sync import SyncProgress, SyncStopped, control_for, sync_account_now
from models.config import load_config
from models.store import Store


def flush_logs(timeout: float = 30) -> None:
    """Send the run's queued logs to the API now: the engine's own drain at process exit
    waits only 5 s, and on a busy machine a run's last lines never reached the API."""
    try:
        from prefect.logging.handlers import APILogWorker

        APILogWorker.drain_all(timeout=timeout)
    except Exception:  # logging must never fail a run
        return


class SyncFailed(RuntimeError):
    """Raised at the end of sync-all when some account failed (the others still synced)."""

    def __init__(self, message: str, results: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.results = results


# No task retries: every API call already has its one retry layer (connectors.retry), which
# has given up for a reason by the time an error gets here; retrying the whole account on
# top would multiply the attempts. The next run resumes from the last stored batch.
@task(name="sync", task_run_name="sync {account}")
def sync_account_task(
    config_path: str,
    account: str,
    since: datetime | None = None,
    until: datetime | None = None,
    backfill: bool = False,
) -> dict[str, Any]:
    config = load_config(config_path)
    store = Store(config.store.url)
    window = (since, until) if since is not None or until is not None else None
    logger = get_run_logger()
    local = loop.process_control  # the CLI's stop event and progress display, when in-line
    logged = [0.0]

    def log_progress(progress: SyncProgress) -> None:
        if progress.elapsed - logged[0] >= 30:  # a line every 30 s in the run's logs
            logged[0] = progress.elapsed
            logger.info("%s: %d records read, %d batches", account, progress.seen, progress.batches)

    control = control_for(
        config,
        on_progress=local.on_progress if local and local.on_progress else log_progress,
    )
    if local is not None:
        control.stop = local.stop
    try:
        summary = sync_account_now(
            config,
            store,
            account,
            window,
            on_event=logger.warning,
            control=control,
            backfill=backfill,
        )
    except SyncStopped as stopped:
        logger.error("%s", stopped)
        raise
    finally:
        store.close()
    logger.info(
        "%s: %d read, %d new, %d updated, %d removed, %d cards, %d skipped in %.1fs",
        account,
        summary.seen,
        summary.inserted,
        summary.updated,
        summary.removed,
        summary.cards,
        summary.skipped,
        summary.seconds,
    )
    return summary.as_dict()


@flow(name="sync-account", flow_run_name="sync-{account}", log_prints=True)
def sync_account(config_path: str, account: str) -> dict[str, Any]:
    """Incremental sync of one account from its saved cursor."""
    result: dict[str, Any] = sync_account_task(config_path, account)
    return result


@flow(name="backfill", flow_run_name="backfill-{account}")
def backfill(
    config_path: str, account: str, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Re-read one account: without a window, in full from scratch (its cursor saved for the
    next sync); with one, over [since, until) (see ingest.sync.read_plan)."""
    result: dict[str, Any] = sync_account_task(config_path, account, since, until, True)
    return result


@flow(
    name="sync-all",
    flow_run_name=lambda: f"sync-all-{datetime.now(UTC):%Y-%m-%d-%H%M}",
    task_runner=ThreadPoolTaskRunner(max_workers=4),  # type: ignore[arg-type]
)
def sync_all(config_path: str, accounts: list[str] | None = None) -> list[dict[str, Any]]:
    """All (or the named) accounts concurrently; one failing account does not stop the rest."""
    config = load_config(config_path)
    names = accounts or [a.name for a in config.accounts]
    futures = {name: sync_account_task.submit(config_path, name) for name in names}
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    for name, future in futures.items():
        state = future.wait() or future.state
        if state is not None and state.is_completed():
            results.append(future.result())
        else:
            message = _failure_message(future)
            failures.append(f"{name}: {message}")
            results.append({"account": name, "error": message})
    flush_logs()
    if failures:
        raise SyncFailed("some accounts failed:\n  " + "\n  ".join(failures), results)
    return results


def _failure_message(future: Any) -> str:
    try:
        future.result()
    except Exception as exc:
        return str(exc)
    return "failed"
