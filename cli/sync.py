"""`keepwarm sync` and `keepwarm backfill`: accounts into the store.

How an interactive sync runs (measured; see README "How syncs run"): with a Prefect API
configured (`PREFECT_API_URL`) it runs the `sync-all` flow, so the run is recorded on that
server; without one it runs the same sync loop (ingest.sync) directly in this process, without
importing Prefect or starting a temporary Prefect server. Both check the config and every
account's credentials first, draw progress on a terminal, and stop cleanly on Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import DATE_HELP, ConfigOpt, config_path, load, open_store, parse_day, prefect_env
from cli.output import err, fail, out, print_summaries, say
from cli.progress import SyncDisplay, stop_on_signals
from models.config import Config, ConfigError


def prefect_configured() -> bool:
    return bool(os.environ.get("PREFECT_API_URL"))


def preflight(config: Config, names: list[str]) -> list[str]:
    """One line per account that cannot start (no token yet, a missing export)."""
    from connectors.registry import source_for

    problems = []
    for name in names:
        account = config.account(name)
        problem = source_for(account.kind).preflight(account)
        if problem:
            problems.append(problem)
    return problems


def run_sync(
    path: str, accounts: list[str] | None, *, summary_to_stderr: bool = False
) -> list[dict[str, Any]]:
    """Sync all (or the named) accounts; a failed account still prints every summary, then
    exits 1; an interrupted sync says what was kept and exits 130 (SIGINT) / 143 (SIGTERM)."""
    from ingest import sync as loop

    config = load(Path(path))
    names = accounts or [a.name for a in config.accounts]
    problems = preflight(config, names)
    for problem in problems:
        say(f"error: {problem}", style="red")
    ready = [n for n in names if not any(f"account {n!r}" in p for p in problems)]
    console = err if summary_to_stderr else out
    results: list[dict[str, Any]] = []
    failed: list[str] = []
    if ready:
        open_store(config, create=True).close()  # an unreachable store fails here, once
        control = loop.control_for(config)
        with stop_on_signals(control.stop) as received, SyncDisplay() as display:
            control.on_progress = display.update
            if prefect_configured():
                results = _through_prefect(path, ready, control)
            else:
                results = loop.sync_accounts(config, ready, control)
        failed = [_failure_line(r) for r in results if r.get("error")]
        print_summaries(results, console)
        if received:
            code = 128 + received[0]
            kept = sum(r.get("batches", 0) for r in results)
            fail(
                f"interrupted: {kept} batch(es) stored before stopping are kept; "
                "`keepwarm sync` continues from there",
                code,
            )
    if failed:
        # The accounts stopped before the sync started are named again: the table above
        # scrolled them away, and the last lines are what a person reads.
        every = problems + failed
        fail("some accounts failed:\n  " + "\n  ".join(every), 1)
    if problems:
        raise typer.Exit(1)  # each was said above, in one line
    return results


def _failure_line(result: dict[str, Any]) -> str:
    """'account 'x': what went wrong; the fix' — the account named once."""
    name, error = result["account"], str(result["error"])
    return error if error.startswith(f"account {name!r}") else f"account {name!r}: {error}"


def _through_prefect(path: str, names: list[str], control: Any) -> list[dict[str, Any]]:
    prefect_env()
    from flows.sync import SyncFailed, sync_all
    from ingest import sync as loop

    loop.process_control = control
    try:
        result: list[dict[str, Any]] = sync_all(path, names)
        return result
    except SyncFailed as exc:
        return exc.results
    finally:
        loop.process_control = None


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
        fail(f"{cfg.source_path}: no [[accounts]] configured; add one (see docs/config.md)", 2)
    run_sync(config_path(config, cfg), account or None)


def backfill(
    account: Annotated[str, typer.Option("--account", help="The account to re-read.")],
    since: Annotated[str | None, typer.Option(help=f"Window start, {DATE_HELP}.")] = None,
    until: Annotated[str | None, typer.Option(help=f"Window end (exclusive), {DATE_HELP}.")] = None,
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
    if start and start > date.today():
        fail(f"--since {start.isoformat()} is in the future: there is nothing to read yet", 2)
    problems = preflight(cfg, [account])
    if problems:
        fail(problems[0], 1)

    def at(day: date | None) -> datetime | None:
        return datetime.combine(day, datetime.min.time(), UTC) if day else None

    if not prefect_configured():
        print_summaries([_backfill_here(cfg, account, at(start), at(end))])
        return
    prefect_env()
    from flows.sync import backfill as backfill_flow

    try:
        result = backfill_flow(config_path(config, cfg), account, at(start), at(end))
    except Exception as exc:
        fail(str(exc), 1)
    print_summaries([result])


def _backfill_here(
    cfg: Config, account: str, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """The backfill flow's work without a Prefect API: the same loop, stoppable like `sync`."""
    from ingest import sync as loop

    store = open_store(cfg, create=True)
    control = loop.control_for(cfg)
    try:
        with stop_on_signals(control.stop) as received, SyncDisplay() as display:
            control.on_progress = display.update
            try:
                summary = loop.sync_account_now(
                    cfg, store, account, (since, until), control=control
                )
            except loop.SyncStopped as stopped:
                print_summaries([stopped.summary.as_dict()])
                fail(str(stopped), 128 + received[0] if received else 1)
            except Exception as exc:
                fail(str(exc), 1)
    finally:
        store.close()
    return summary.as_dict()
