"""`keepwarm sync` and `keepwarm backfill`: accounts into the store through the Prefect flows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer

from cli.common import ConfigOpt, config_path, load, parse_day, prefect_env
from cli.output import fail, print_summaries
from models.config import ConfigError


def run_sync(path: str, accounts: list[str] | None) -> list[dict[str, Any]]:
    """The sync-all flow; a failed account still prints every summary, then exits 1."""
    prefect_env()
    from flows.sync import SyncFailed, sync_all

    try:
        results: list[dict[str, Any]] = sync_all(path, accounts)
    except SyncFailed as exc:
        print_summaries(exc.results)
        fail(str(exc), 1)
    print_summaries(results)
    return results


def sync(
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only this account (repeatable).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Incremental sync of all (or the named) accounts."""
    cfg = load(config)
    for name in account or []:
        try:
            cfg.account(name)
        except ConfigError as exc:
            fail(str(exc), 2)
    if not cfg.accounts:
        fail(f"{cfg.source_path}: no [[accounts]] configured; add one (see README)", 2)
    run_sync(config_path(config, cfg), account or None)


def backfill(
    account: Annotated[str, typer.Option("--account", help="The account to re-read.")],
    since: Annotated[str | None, typer.Option(help="Window start, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Window end (exclusive), YYYY-MM-DD.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Re-read one account: without --since/--until in full, from scratch (also the fix for
    a saved cursor that cannot be read); with them, only that window. Idempotent: nothing
    is duplicated, unchanged records are not rewritten."""
    cfg = load(config)
    try:
        cfg.account(account)
    except ConfigError as exc:
        fail(str(exc), 2)
    start, end = parse_day(since, "--since"), parse_day(until, "--until")
    if start and end and start >= end:
        fail("--since must be before --until", 2)
    prefect_env()
    from flows.sync import backfill as backfill_flow

    def at(day: date | None) -> datetime | None:
        return datetime.combine(day, datetime.min.time(), UTC) if day else None

    try:
        result = backfill_flow(config_path(config, cfg), account, at(start), at(end))
    except Exception as exc:
        fail(str(exc), 1)
    print_summaries([result])
