"""`keepwarm`: the command line of DESIGN.md, wired from one module per command group.

`report` (without --deliver), `people`, `init`, `doctor` and a `sync` with no Prefect server
configured never import Prefect, so they answer in about a second.

Help and messages are never parsed as rich markup (`rich_markup_mode=None`): config keys such
as `[report.email]` must reach the reader as written.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from cli import auth
from cli.demo import demo
from cli.doctor import doctor, init
from cli.people import people_app
from cli.report import report
from cli.serve import serve
from cli.sync import backfill, sync
from connectors.registry import sources

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    help="keepwarm: who you are losing touch with, from the traces your accounts already keep.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        try:
            number = version("keepwarm")
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            number = "unknown"
        typer.echo(f"keepwarm {number}")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """keepwarm: who you are losing touch with, from the traces your accounts already keep."""


for command in (init, doctor, demo, sync, backfill, report, serve):
    app.command(context_settings=CONTEXT)(command)
app.add_typer(auth.commands(sources()), name="auth")
app.add_typer(people_app, name="people")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
