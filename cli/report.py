"""`keepwarm report`: the staleness report printed from the store, or delivered with --deliver.
Neither imports Prefect: delivery is the same code the nightly flow's deliver task runs, called
directly, so a failure is one line (no Prefect warning, no second ERROR line)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import DATE_HELP, ConfigOpt, load, open_store, parse_day
from cli.output import fail, out, say
from models.config import Config

FORMATS = ("text", "markdown", "html", "json", "csv", "slack")


def print_report(path: Path | None, fmt: str, as_of: date | None, limit: int | None) -> None:
    from delivery.render import render
    from models.report import build_report

    fmt = fmt.lower()
    if fmt not in FORMATS:
        fail(f"--format {fmt!r} is not one of {', '.join(FORMATS)}", 2)
    config = load(path)
    store = open_store(config)
    try:
        report = build_report(store, config, as_of, limit=limit)
        empty = not report.people and not _synced(store)
    finally:
        store.close()
    if empty:
        fail(f"the store {config.store.url} holds nothing yet: run `keepwarm sync` first", 1)
    text = render(report, fmt, config)
    if fmt == "text":
        out.print(text, end="", highlight=False, markup=False, soft_wrap=True)
    else:
        sys.stdout.write(text)


def report(
    fmt: Annotated[
        str, typer.Option("--format", help=" | ".join(FORMATS) + " (any case).")
    ] = "text",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help=f"Report as of this day ({DATE_HELP}); default today."),
    ] = None,
    deliver: Annotated[
        list[str] | None, typer.Option("--deliver", help="email | slack (repeatable).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Only the N most overdue people (N ≥ 1).", min=1)
    ] = None,
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
    deliver = [d.lower() for d in deliver]
    bad = [d for d in deliver if d not in ("email", "slack")]
    if bad:
        fail(f"--deliver {bad[0]!r}: choose email or slack", 2)
    from delivery.send import DeliveryError

    try:
        outcomes = _deliver(cfg, list(deliver), day, force, resend_uncertain)
    except DeliveryError as exc:  # each failure's line already says the report is kept
        if exc.config_only:
            fail(str(exc), 2)  # a config mistake, as DESIGN has it
        fail(f"delivery failed: {exc}", 1)
    except Exception as exc:
        fail(f"delivery failed: {exc} (the report is still available: keepwarm report)", 1)
    for outcome in outcomes:
        say(f"{outcome['channel']} → {outcome['recipient']}: {outcome['status']}", console=out)
    uncertain = [o for o in outcomes if o["status"] == "uncertain"]
    if uncertain:
        who = ", ".join(str(o["recipient"]) for o in uncertain)
        channels = " ".join(
            f"--deliver {c}" for c in dict.fromkeys(o["channel"] for o in uncertain)
        )
        say(
            f"uncertain (may or may not have arrived): {who}. Check, then resend to these "
            f"only: keepwarm report {channels} --resend-uncertain",
            console=out,
        )


def _deliver(
    cfg: Config, channels: list[str], day: date | None, force: bool, resend_uncertain: bool
) -> list[Any]:
    """What flows.nightly's deliver task does, without Prefect around it."""
    from delivery.send import deliver
    from models.report import build_report

    store = open_store(cfg)
    try:
        report = build_report(store, cfg, day, limit=cfg.report.limit)
        outcomes = deliver(
            report, cfg, store, channels, force=force, resend_uncertain=resend_uncertain
        )
        return [o.as_dict() for o in outcomes]
    finally:
        store.close()


def _synced(store: Any) -> bool:
    """Has any sync stored anything (a store with only noise still has sync state)?"""
    from sqlalchemy import select

    from models.schema import SyncStateRow

    with store.session() as session:
        return session.scalar(select(SyncStateRow.account).limit(1)) is not None
