"""`keepwarm report`: the staleness report printed from the store (no Prefect), or delivered
through the Prefect deliver task with --deliver."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.common import ConfigOpt, config_path, load, parse_day, prefect_env
from cli.output import fail, out

FORMATS = ("text", "markdown", "html", "json", "csv", "slack")


def print_report(path: Path | None, fmt: str, as_of: date | None, limit: int | None) -> None:
    from delivery.render import render
    from models.report import build_report
    from models.store import Store

    if fmt not in FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}", 2)
    config = load(path)
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


def report(
    fmt: Annotated[str, typer.Option("--format", help=" | ".join(FORMATS))] = "text",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Report as of this day.")] = None,
    deliver: Annotated[
        list[str] | None, typer.Option("--deliver", help="email | slack (repeatable).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the N most overdue people.")] = None,
    force: Annotated[bool, typer.Option(help="Deliver again even if already sent today.")] = False,
    resend_uncertain: Annotated[
        bool,
        typer.Option(
            "--resend-uncertain",
            help="Resend only to recipients whose delivery is uncertain (a run died mid-send).",
        ),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Build (and optionally deliver) the staleness report."""
    day = parse_day(as_of, "--as-of")
    cfg = load(config)
    if not deliver:
        print_report(config, fmt, day, limit)
        return
    bad = [d for d in deliver if d not in ("email", "slack")]
    if bad:
        fail(f"--deliver {bad[0]!r}: choose email or slack", 2)
    prefect_env()
    from flows.nightly import deliver_task

    try:
        outcomes = deliver_task(
            config_path(config, cfg), list(deliver), day, force, resend_uncertain
        )
    except Exception as exc:
        fail(f"delivery failed: {exc} (the report is still available: keepwarm report)", 1)
    for outcome in outcomes:
        out.print(f"{outcome['channel']} → {outcome['recipient']}: {outcome['status']}")
    uncertain = [o for o in outcomes if o["status"] == "uncertain"]
    if uncertain:
        who = ", ".join(str(o["recipient"]) for o in uncertain)
        channels = " ".join(
            f"--deliver {c}" for c in dict.fromkeys(o["channel"] for o in uncertain)
        )
        out.print(
            f"uncertain (may or may not have arrived): {who}. Check, then resend to these "
            f"only: keepwarm report {channels} --resend-uncertain",
            markup=False,
            highlight=False,
        )
