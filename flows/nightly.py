"""The morning job: sync everything, build the report, deliver it — in that order."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger, task

from delivery.render import render
from flows.sync import SyncFailed, sync_all
from models.config import load_config
from models.report import build_report
from models.store import Store


@task(name="build-report")
def build_report_task(config_path: str, as_of: date | None = None, fmt: str = "json") -> str:
    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        return render(build_report(store, config, as_of), fmt, config)
    finally:
        store.close()


@flow(name="build-report")
def report_flow(config_path: str, as_of: date | None = None, fmt: str = "json") -> str:
    result: str = build_report_task(config_path, as_of, fmt)
    return result


# No task retries: each send already runs through the one retry layer (delivery.send.retry),
# and the ledger makes a rerun safe; Prefect retries on top multiplied the attempts (up to 9).
@task(name="deliver")
def deliver_task(
    config_path: str,
    channels: list[str],
    as_of: date | None = None,
    force: bool = False,
    resend_uncertain: bool = False,
) -> list[dict[str, Any]]:
    from delivery.send import deliver

    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        report = build_report(store, config, as_of, limit=config.report.limit)
        outcomes = deliver(
            report, config, store, channels, force=force, resend_uncertain=resend_uncertain
        )
        return [o.as_dict() for o in outcomes]
    finally:
        store.close()


@flow(name="nightly")
def nightly(config_path: str, deliver_to: list[str] | None = None) -> dict[str, Any]:
    """Sync all accounts, then deliver. A failed account is reported but does not stop the
    delivery of what we know; the run still ends failed so it is noticed."""
    logger = get_run_logger()
    config = load_config(config_path)
    sync_error: SyncFailed | None = None
    try:
        synced = sync_all(config_path)
    except SyncFailed as exc:
        sync_error, synced = exc, exc.results
        logger.error("%s", exc)
    channels = (
        list(deliver_to) if deliver_to is not None else [str(c) for c in config.report.deliver]
    )
    delivered = deliver_task(config_path, channels) if channels else []
    if sync_error is not None:
        raise sync_error
    return {"synced": synced, "delivered": delivered}
