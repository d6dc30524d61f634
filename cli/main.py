"""`keepwarm`: the command line of DESIGN.md, wired from one module per command group.

`report` (without --deliver) and `people` only read the store: they never import Prefect,
so they answer in about a second. The other commands run Prefect flows.
"""

from __future__ import annotations

import typer

from cli import auth
from cli.demo import demo
from cli.people import people_app
from cli.report import report
from cli.serve import serve
from cli.sync import backfill, sync
from connectors.registry import sources

app = typer.Typer(
    help="keepwarm: who you are losing touch with, from the traces your accounts already keep.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for command in (demo, sync, backfill, report, serve):
    app.command()(command)
app.add_typer(auth.commands(sources()), name="auth")
app.add_typer(people_app, name="people")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
