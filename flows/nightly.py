"""The morning job: sync everything, build the report, publish the digest as a Prefect
markdown artifact, deliver it — in that order. Runs are named `nightly-YYYY-MM-DD`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from delivery.render import render
from flows.sync import SyncFailed, flush_logs, sync_all
from models.config import load_config
from models.report import build_report
from models.store import Store

DIGEST_ARTIFACT = "keepwarm-digest"


def nightly_run_name() -> str:
    """`nightly-2026-12-07`: the day the run was scheduled for (UTC), else today."""
    from prefect.runtime import flow_run

    when = flow_run.scheduled_start_time or datetime.now(UTC)
    return f"nightly-{when:%Y-%m-%d}"


@task(name="publish-digest")
def publish_digest(config_path: str, as_of: date | None = None) -> str:
    """The report as markdown (digest first), kept as the run's `keepwarm-digest` artifact so
    the Prefect UI shows what the morning said."""
    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        report = build_report(store, config, as_of, limit=config.report.limit)
    finally:
        store.close()
    markdown = render(report, "markdown", config)
    create_markdown_artifact(
        key=DIGEST_ARTIFACT,
        markdown=markdown,
        description=f"keepwarm digest as of {report.as_of.isoformat()}",
    )
    return markdown


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


@flow(name="nightly", flow_run_name=nightly_run_name)
def nightly(config_path: str, deliver_to: list[str] | None = None) -> dict[str, Any]:
    """Sync all accounts, publish the digest, then deliver. A failed account is reported but
    does not stop the delivery of what we know; the run still ends failed so it is noticed."""
    logger = get_run_logger()
    config = load_config(config_path)
    sync_error: SyncFailed | None = None
    try:
        synced = sync_all(config_path)
    except SyncFailed as exc:
        sync_error, synced = exc, exc.results
        logger.error("%s", exc)
    publish_digest(config_path)
    channels = (
        list(deliver_to) if deliver_to is not None else [str(c) for c in config.report.deliver]
    )
    delivered = deliver_task(config_path, channels) if channels else []
    logger.info(
        "nightly: %d account(s) synced, delivered to %d channel(s)", len(synced), len(delivered)
    )
    flush_logs()
    if sync_error is not None:
        raise sync_error
    return {"synced": synced, "delivered": delivered}
