"""`keepwarm auth <kind> ACCOUNT`: one command per source that declares a login.

The commands are made from the sources' declarations (connectors.source.Auth: help text and
yes/no flags), so a new source with a login gets its command from its registry line alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from cli.common import ConfigOpt, load
from cli.output import fail, out
from connectors.source import AnySource, AuthCommand, AuthRequest
from models.config import Config, ConfigError
from models.settings import AccountSettings


def commands(sources: Iterable[AnySource]) -> typer.Typer:
    """The `auth` group: a command per source with a login, named by its kind."""
    group = typer.Typer(
        help="Connect an account (interactive OAuth).",
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for source in sources:
        command = source.auth_command()
        if command is not None:
            group.command(source.kind)(_command(command))
    return group


def _command(command: AuthCommand) -> Callable[..., None]:
    def run(account: str, config: Path | None = None, **flags: bool) -> None:
        cfg = load(config)
        acct = account_of_kind(cfg, account, command.kind)
        request = AuthRequest(frozenset(name for name, on in flags.items() if on))
        try:
            line = command.run(acct, request)
        except Exception as exc:
            fail(f"account {account!r}: authorization failed: {exc}", 1)
        out.print(line)

    # typer reads parameters from the signature: ACCOUNT, the source's flags, then --config.
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter(
            "account",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[
                str,
                typer.Argument(
                    metavar="ACCOUNT",
                    help=f'The name of a kind = "{command.kind}" [[accounts]] entry.',
                    show_default=False,
                ),
            ],
        ),
        *(
            inspect.Parameter(
                flag.name,
                keyword,
                default=False,
                annotation=Annotated[bool, typer.Option(help=flag.help)],
            )
            for flag in command.flags
        ),
        inspect.Parameter("config", keyword, default=None, annotation=ConfigOpt),
    ]
    run.__doc__ = command.help
    setattr(run, "__signature__", inspect.Signature(parameters))  # noqa: B010
    return run


def account_of_kind(cfg: Config, name: str, kind: str) -> AccountSettings:
    try:
        acct = cfg.account(name)
    except ConfigError as exc:
        fail(str(exc), 2)
    if acct.kind != kind:
        fail(f"account {name!r} is a {acct.kind} account, not {kind}", 2)
    return acct
