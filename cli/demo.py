"""`keepwarm demo`: the whole pipeline on a generated sample year, into a scratch store."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import parse_day
from cli.output import out
from cli.report import print_report
from cli.sync import run_sync


def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to write the sample data and store.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Report format.")] = "text",
    today: Annotated[str | None, typer.Option(help="Pretend today is this date.")] = None,
) -> None:
    """The whole pipeline on bundled sample data into a scratch store, then the report."""
    from samples.generate import demo_config, generate

    day = parse_day(today, "--today") or datetime.now(UTC).date()
    root = directory or Path(os.environ.get("TMPDIR", "/tmp")) / f"keepwarm-demo-{os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)
    sample = generate(root / "data", day)
    store_path = root / "demo.db"
    store_path.unlink(missing_ok=True)
    config_file = root / "config.toml"
    config_file.write_text(demo_config(sample, f"sqlite:///{store_path}"), encoding="utf-8")
    out.print(f"[dim]sample year written to {root}; syncing through Prefect…[/]")
    run_sync(str(config_file), None)
    print_report(config_file, fmt, day, None)
