"""What every command shares: the --config option, the config itself (or exit 2 naming the
fix), the store (never created by a command that only reads), dates typed on the command line,
and quiet Prefect defaults for the commands that run flows. Nothing here imports Prefect:
`report` and `people` must answer in about a second."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from cli.output import fail
from models.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from models.store import Store

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default: $KEEPWARM_CONFIG, else $XDG_CONFIG_HOME/keepwarm/config.toml).",
    ),
]

DATE_HELP = "YYYY-MM-DD"


def load(path: Path | None) -> Config:
    """The config, validated, with its store URL checked (parses, a known driver that is
    installed, a SQLite file that can be created): every mistake exits 2 naming file and key."""
    from models.store import store_problem

    try:
        config = load_config(path)
    except ConfigError as exc:
        fail(str(exc), 2)
    problem = store_problem(config.store.url, create=True)
    if problem is not None:
        fail(f"{config.source_path}: [store] url: {problem}", 2)
    return config


def config_path(path: Path | None, config: Config) -> str:
    """The file the flows should load again (they run elsewhere: a worker, a thread)."""
    return config.source_path or str(path)


def open_store(config: Config, *, create: bool = False) -> Store:
    """The configured store. Commands that only read (report, people) pass create=False: a
    missing SQLite file is an error that says to sync first, never a new empty store."""
    from models.store import Store, StoreError, store_problem

    problem = store_problem(config.store.url, create=create)
    if problem is not None:
        fail(f"{config.source_path or 'config'}: [store] url: {problem}", 2)
    try:
        return Store(config.store.url)
    except StoreError as exc:
        fail(f"{config.source_path or 'config'}: [store] url: {exc}", 2)


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; use {DATE_HELP}", 2)


def parse_moment(value: str | None, option: str, timezone: str) -> datetime:
    """A date (noon that day, or now if that is still ahead) or an ISO datetime (in the
    report's time zone unless it says otherwise), as aware UTC; None is now."""
    now = datetime.now(UTC)
    if value is None:
        return now
    zone = ZoneInfo(timezone)
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(12), zone).astimezone(UTC)
            return min(moment, now) if day == now.astimezone(zone).date() else moment
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is neither a date ({DATE_HELP}) nor a datetime", 2)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def prefect_env(*, log_level: str = "WARNING") -> None:
    """Quiet, local-first Prefect defaults; anything the user set wins."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
