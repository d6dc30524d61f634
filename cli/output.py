"""What the commands print: the two consoles, failures with their exit status, sync tables."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int) -> NoReturn:
    """Exit `code` (2: bad usage or config, 1: a failed run) with the message on stderr."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_summaries(results: list[dict[str, Any]]) -> None:
    """One row per synced account, then each account's skips (with examples) and fallbacks.
    A backfill's table is titled so, with its window."""
    title = "sync"
    if results and all(r.get("mode") == "backfill" for r in results):
        window = results[0].get("window") or "whole account, from scratch"
        title = f"backfill ({window})"
    table = Table(title=title)
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
