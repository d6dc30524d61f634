"""What the commands print: the two consoles, failures with their exit status, sync tables.

Nothing user-supplied or key-like is ever parsed as rich markup: names, addresses, config keys
(`[report.email]`) and error messages are printed as plain `Text`, so `[/]` in a name or
`[cadence].tiers` in a fix reaches the reader as typed."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

out = Console()
err = Console(stderr=True)


def plain(value: object, style: str = "") -> Text:
    """A table cell or line that is never read as markup."""
    return Text(str(value), style=style)


def say(message: str, *, style: str = "", console: Console | None = None) -> None:
    """A status line (stderr by default: stdout carries only what was asked for)."""
    (console or err).print(plain(message, style), highlight=False, soft_wrap=True)


def fail(message: str, code: int) -> NoReturn:
    """Exit `code` (2: bad usage or config, 1: a failed run) with the message on stderr."""
    err.print(Text.assemble(("error: ", "bold red"), message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_summaries(results: list[dict[str, Any]], console: Console | None = None) -> None:
    """One row per synced account, then each account's skips (with examples) and fallbacks.
    A backfill's table is titled so, with its window."""
    console = console or out
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
            status = "stopped" if r.get("interrupted") else "failed"
            table.add_row(plain(r["account"]), "", "", "", "", "", "", "", plain(status, "red"))
            continue
        table.add_row(
            plain(r["account"]),
            plain(r["kind"]),
            str(r["seen"]),
            str(r["inserted"]),
            str(r["updated"]),
            str(r["removed"]),
            str(r["cards"]),
            str(r["skipped"]),
            f"{r['seconds']:.1f}s",
        )
    console.print(table)
    for r in results:
        for reason, count in sorted((r.get("skip_reasons") or {}).items()):
            say(f"  {r['account']}: skipped {count} × {reason}", console=console)
        for example in (r.get("skip_examples") or [])[:5]:
            say(f"    e.g. {example}", console=console)
        for note, count in sorted((r.get("notes") or {}).items()):
            say(f"  {r['account']}: {count} × {note}", console=console)
