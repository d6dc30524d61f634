"""Prefect flows that sync accounts: one task per account, batches stored as they arrive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner

from ingest.sync import SyncSummary, sync_account_now
from models.config import load_config
from models.store import Store


class SyncFailed(RuntimeError):
    """Raised at the end of sync-all when some account failed (the others still synced)."""

    def __init__(self, message: str, results: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.results = results


# No task retries: every API call already has its one retry layer (connectors.retry), which
# has given up for a reason by the time an error gets here; retrying the whole account on
# top would multiply the attempts. The next run resumes from the last stored batch.
@task(name="sync-account", task_run_name="sync {account}")
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

    def progress(_batch: object, summary: SyncSummary) -> None:
        if summary.batches % 20 == 0:
            logger.info("%s: %d batches, %d records read", account, summary.batches, summary.seen)

    try:
        summary = sync_account_now(
            config,
            store,
            account,
            window,
            on_batch=progress,
            on_event=logger.warning,
            backfill=backfill,
        )
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


@flow(name="sync-account", log_prints=True)
def sync_account(config_path: str, account: str) -> dict[str, Any]:
    """Incremental sync of one account from its saved cursor."""
    result: dict[str, Any] = sync_account_task(config_path, account)
    return result


@flow(name="backfill")
def backfill(
    config_path: str, account: str, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Re-read one account: without a window, in full from scratch (its cursor saved for the
    next sync); with one, over [since, until) (see ingest.sync.read_plan)."""
    result: dict[str, Any] = sync_account_task(config_path, account, since, until, True)
    return result


@flow(name="sync-all", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
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
    if failures:
        raise SyncFailed("some accounts failed:\n  " + "\n  ".join(failures), results)
    return results


def _failure_message(future: Any) -> str:
    try:
        future.result()
    except Exception as exc:
        return str(exc)
    return "failed"
