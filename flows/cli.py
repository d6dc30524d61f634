"""`keepwarm`: the command line of DESIGN.md.

`report` (without --deliver) and `people` only read the store: they never import Prefect,
so they answer in about a second. The other commands run Prefect flows.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from connectors.registry import sources
from connectors.source import AuthCommand, AuthRequest
from models.config import Config, ConfigError, load_config
from models.settings import AccountSettings

app = typer.Typer(
    help="keepwarm: who you are losing touch with, from the traces your accounts already keep.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
auth_app = typer.Typer(help="Connect an account (interactive OAuth).", no_args_is_help=True)
people_app = typer.Typer(help="List, inspect and correct people.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")
app.add_typer(people_app, name="people")

out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default: $KEEPWARM_CONFIG, else $XDG_CONFIG_HOME/keepwarm/config.toml).",
    ),
]
FORMATS = ("text", "markdown", "html", "json", "csv", "slack")


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc), 2)


def _config_path(path: Path | None, config: Config) -> str:
    return config.source_path or str(path)


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; use YYYY-MM-DD", 2)


def _prefect_env() -> None:
    """Quiet, local-first Prefect defaults; anything the user set wins."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _print_summaries(results: list[dict[str, Any]]) -> None:
    table = Table(title="sync")
    for column in ("account", "kind", "read", "new", "updated", "removed", "cards", "skipped"):
        table.add_column(column, justify="left" if column in ("account", "kind") else "right")
    table.add_column("time", justify="right")
    for r in results:
        if r.get("error"):
            table.add_row(r["account"], "", "", "", "", "", "", "", "[red]failed[/]")
            continue
        table.add_row(
            r["account"],
            r["kind"],
            str(r["seen"]),
            str(r["inserted"]),
            str(r["updated"]),
            str(r["removed"]),
            str(r["cards"]),
            str(r["skipped"]),
            f"{r['seconds']:.1f}s",
        )
    out.print(table)
    for r in results:
        for reason, count in sorted((r.get("skip_reasons") or {}).items()):
            out.print(f"  {r['account']}: skipped {count} × {reason}", highlight=False)
        for example in (r.get("skip_examples") or [])[:5]:
            out.print(f"    e.g. {example}", highlight=False)
        for note, count in sorted((r.get("notes") or {}).items()):
            out.print(f"  {r['account']}: {count} × {note}", highlight=False)


def _run_sync(config_path: str, accounts: list[str] | None) -> list[dict[str, Any]]:
    _prefect_env()
    from flows.sync import SyncFailed, sync_all

    try:
        results: list[dict[str, Any]] = sync_all(config_path, accounts)
    except SyncFailed as exc:
        _print_summaries(exc.results)
        fail(str(exc), 1)
    _print_summaries(results)
    return results


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to write the sample data and store.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Report format.")] = "text",
    today: Annotated[str | None, typer.Option(help="Pretend today is this date.")] = None,
) -> None:
    """The whole pipeline on bundled sample data into a scratch store, then the report."""
    from samples.generate import demo_config, generate

    day = _parse_day(today, "--today") or datetime.now(UTC).date()
    root = directory or Path(os.environ.get("TMPDIR", "/tmp")) / f"keepwarm-demo-{os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)
    sample = generate(root / "data", day)
    store_path = root / "demo.db"
    store_path.unlink(missing_ok=True)
    config_file = root / "config.toml"
    config_file.write_text(demo_config(sample, f"sqlite:///{store_path}"), encoding="utf-8")
    out.print(f"[dim]sample year written to {root}; syncing through Prefect…[/]")
    _run_sync(str(config_file), None)
    _print_report(config_file, fmt, day, None)


def _print_report(
    config_path: Path | None, fmt: str, as_of: date | None, limit: int | None
) -> None:
    from delivery.render import render
    from models.report import build_report
    from models.store import Store

    if fmt not in FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}", 2)
    config = _config(config_path)
    store = Store(config.store.url)
    try:
        report = build_report(store, config, as_of, limit=limit)
    finally:
        store.close()
    text = render(report, fmt, config)
    if fmt == "text":
        out.print(text, end="", highlight=False, markup=False, soft_wrap=True)
    else:
        sys.stdout.write(text)


@app.command()
def sync(
    account: Annotated[
        list[str] | None, typer.Option("--account", help="Only this account (repeatable).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Incremental sync of all (or the named) accounts."""
    cfg = _config(config)
    for name in account or []:
        try:
            cfg.account(name)
        except ConfigError as exc:
            fail(str(exc), 2)
    if not cfg.accounts:
        fail(f"{cfg.source_path}: no [[accounts]] configured; add one (see README)", 2)
    _run_sync(_config_path(config, cfg), account or None)


@app.command()
def backfill(
    account: Annotated[str, typer.Option("--account", help="The account to re-read.")],
    since: Annotated[str | None, typer.Option(help="Window start, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Window end (exclusive), YYYY-MM-DD.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Full re-read of one account over a window (idempotent: nothing is duplicated)."""
    cfg = _config(config)
    try:
        cfg.account(account)
    except ConfigError as exc:
        fail(str(exc), 2)
    start, end = _parse_day(since, "--since"), _parse_day(until, "--until")
    if start and end and start >= end:
        fail("--since must be before --until", 2)
    _prefect_env()
    from flows.sync import backfill as backfill_flow

    def at(day: date | None) -> datetime | None:
        return datetime.combine(day, datetime.min.time(), UTC) if day else None

    try:
        result = backfill_flow(_config_path(config, cfg), account, at(start), at(end))
    except Exception as exc:
        fail(str(exc), 1)
    _print_summaries([result])


@app.command()
def report(
    fmt: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))] = "text",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Report as of this day.")] = None,
    deliver: Annotated[
        list[str] | None, typer.Option("--deliver", help="email | slack (repeatable).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the N most overdue people.")] = None,
    force: Annotated[bool, typer.Option(help="Deliver again even if already sent today.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Build (and optionally deliver) the staleness report."""
    day = _parse_day(as_of, "--as-of")
    cfg = _config(config)
    if not deliver:
        _print_report(config, fmt, day, limit)
        return
    bad = [d for d in deliver if d not in ("email", "slack")]
    if bad:
        fail(f"--deliver {bad[0]!r}: choose email or slack", 2)
    _prefect_env()
    from flows.nightly import deliver_task

    try:
        outcomes = deliver_task(_config_path(config, cfg), list(deliver), day, force)
    except Exception as exc:
        fail(f"delivery failed: {exc} (the report is still available: keepwarm report)", 1)
    for outcome in outcomes:
        out.print(f"{outcome['channel']} → {outcome['recipient']}: {outcome['status']}")


@app.command()
def serve(config: ConfigOpt = None) -> None:
    """Run the nightly and backfill deployments on this machine (Prefect serve)."""
    cfg = _config(config)
    _prefect_env()
    from deployments.serve import serve_all

    serve_all(_config_path(config, cfg), cfg)


def _auth_command(command: AuthCommand) -> Callable[..., None]:
    """`keepwarm auth <kind> ACCOUNT [--flag…]` for one source's login, from its declaration."""

    def run(account: str, config: Path | None = None, **flags: bool) -> None:
        cfg = _config(config)
        acct = _account_of_kind(cfg, account, command.kind)
        request = AuthRequest(frozenset(name for name, on in flags.items() if on))
        try:
            line = command.run(acct, request)
        except Exception as exc:
            fail(f"account {account!r}: authorization failed: {exc}", 1)
        out.print(line)

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [
        inspect.Parameter("account", positional, annotation=str),
        *(
            inspect.Parameter(
                flag.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=False,
                annotation=Annotated[bool, typer.Option(help=flag.help)],
            )
            for flag in command.flags
        ),
        inspect.Parameter(
            "config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ConfigOpt
        ),
    ]
    run.__doc__ = command.help
    setattr(run, "__signature__", inspect.Signature(parameters))  # noqa: B010 (what typer reads)
    return run


for _source in sources():
    _command = _source.auth_command()
    if _command is not None:
        auth_app.command(_source.kind)(_auth_command(_command))


def _account_of_kind(cfg: Config, name: str, kind: str) -> AccountSettings:
    try:
        acct = cfg.account(name)
    except ConfigError as exc:
        fail(str(exc), 2)
    if acct.kind != kind:
        fail(f"account {name!r} is a {acct.kind} account, not {kind}", 2)
    return acct


def _store(cfg: Config) -> Any:
    from models.store import Store

    return Store(cfg.store.url)


def _person_table(people: list[Any]) -> Table:
    table = Table()
    for column in ("id", "name", "emails", "phones", "cadence", "tier"):
        table.add_column(column)
    for p in people:
        table.add_row(
            p.id[:8],
            p.name,
            ", ".join(p.emails),
            ", ".join(p.phones),
            str(p.cadence_override or ""),
            p.tier_override or "",
        )
    return table


def _people_call(cfg: Config, fn: Any, *args: Any, **kwargs: Any) -> Any:
    from models.people import PersonNotFound

    store = _store(cfg)
    try:
        return fn(store, *args, **kwargs)
    except PersonNotFound as exc:
        fail(str(exc), 2)
    finally:
        store.close()


@people_app.command("list")
def people_list(config: ConfigOpt = None) -> None:
    """Everyone keepwarm knows, with their identities."""
    from models.people import list_people

    cfg = _config(config)
    out.print(_person_table(_people_call(cfg, list_people)))


@people_app.command("show")
def people_show(person: str, config: ConfigOpt = None) -> None:
    """One person (by id, email, phone or name) and where each fact came from."""
    from models.people import show_person

    cfg = _config(config)
    view = _people_call(cfg, show_person, person, cfg.me.default_region)
    out.print(_person_table([view]))
    for card in view.cards:
        out.print(f"  card: {card}", highlight=False)


@people_app.command("merge")
def people_merge(keep: str, other: str, config: ConfigOpt = None) -> None:
    """Merge OTHER into KEEP (pinned: a later sync will not undo it)."""
    from models.people import merge

    cfg = _config(config)
    out.print(_person_table([_people_call(cfg, merge, keep, other, cfg.me.default_region)]))


@people_app.command("split")
def people_split(person: str, identity: str, config: ConfigOpt = None) -> None:
    """Move IDENTITY (an email or phone) of PERSON to a new person of its own."""
    from models.people import split

    cfg = _config(config)
    out.print(_person_table([_people_call(cfg, split, person, identity, cfg.me.default_region)]))


@people_app.command("set")
def people_set(
    person: str,
    cadence: Annotated[int | None, typer.Option(help="Talk every N days.", min=1)] = None,
    tier: Annotated[str | None, typer.Option(help="A tier from [cadence].tiers.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove cadence and tier overrides.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Set a person's cadence or tier (overrides what cards and history say)."""
    from models.people import set_options

    cfg = _config(config)
    if tier is not None and tier.lower() not in {t.lower() for t in cfg.cadence.tiers}:
        fail(f"--tier {tier!r} is not in [cadence].tiers ({', '.join(cfg.cadence.tiers)})", 2)
    view = _people_call(
        cfg,
        set_options,
        person,
        cadence=cadence,
        tier=tier,
        name=name,
        clear=clear,
        default_region=cfg.me.default_region,
    )
    out.print(_person_table([view]))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
