"""What every command shares: the --config option, the config itself (or exit 2 naming the
fix), dates typed on the command line, and quiet Prefect defaults for the commands that run
flows. Nothing here imports Prefect: `report` and `people` must answer in about a second."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.output import fail
from models.config import Config, ConfigError, load_config

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Config file (default: $KEEPWARM_CONFIG, else $XDG_CONFIG_HOME/keepwarm/config.toml).",
    ),
]


def load(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc), 2)


def config_path(path: Path | None, config: Config) -> str:
    """The file the flows should load again (they run elsewhere: a worker, a thread)."""
    return config.source_path or str(path)


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date; use YYYY-MM-DD", 2)


def prefect_env() -> None:
    """Quiet, local-first Prefect defaults; anything the user set wins."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
