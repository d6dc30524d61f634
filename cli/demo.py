"""`keepwarm demo`: the whole pipeline on a generated sample history, into a scratch store.

Only the report goes to stdout (so `keepwarm demo --format json > x.json` is valid JSON); the
sync's status and table go to stderr."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.common import DATE_HELP, parse_day
from cli.output import err, say
from cli.report import FORMATS, print_report
from cli.sync import run_sync


def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Where to write the sample data and store.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"Report format: {' | '.join(FORMATS)}.")
    ] = "text",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help=f"Pretend today is this day ({DATE_HELP}).", show_default=False
        ),
    ] = None,
    today: Annotated[str | None, typer.Option("--today", hidden=True)] = None,
) -> None:
    """The whole pipeline on bundled sample data into a scratch store, then the report."""
    from samples.generate import demo_config, generate

    fmt = fmt.lower()
    day = parse_day(as_of or today, "--as-of") or datetime.now(UTC).date()
    root = directory or Path(os.environ.get("TMPDIR", "/tmp")) / f"keepwarm-demo-{os.getpid()}"
    root.mkdir(parents=True, exist_ok=True)
    sample = generate(root / "data", day)
    store_path = root / "demo.db"
    store_path.unlink(missing_ok=True)
    config_file = root / "config.toml"
    config_file.write_text(demo_config(sample, f"sqlite:///{store_path}"), encoding="utf-8")
    say(f"sample history written to {root}; syncing…", style="dim")
    run_sync(str(config_file), None, summary_to_stderr=True)
    err.print()
    print_report(config_file, fmt, day, None)
