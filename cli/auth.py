"""`keepwarm auth <command> ACCOUNT`: one command per login the sources declare.

The commands are made from the sources' declarations (connectors.source.Auth: help text, yes/no
flags, the command's name and aliases), so a new source with a login gets its command from its
registry line alone. Sources that declare the same command share it: `auth google` (alias
`auth gmail`) connects any Google account — Gmail, Calendar or Contacts — and the login sees
the config's other accounts (to ask for the scopes of every account sharing a token file).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import typer

from cli.common import ConfigOpt, load
from cli.output import fail, out
from connectors.errors import ConnectorError
from connectors.source import AnySource, AuthCommand, AuthFlag, AuthRequest
from models.config import Config, ConfigError
from models.settings import AccountSettings


def commands(sources: Iterable[AnySource]) -> typer.Typer:
    """The `auth` group: a command per declared login (and one per alias)."""
    group = typer.Typer(
        help="Connect an account (interactive OAuth).",
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    logins: dict[str, list[AuthCommand]] = {}
    for source in sources:
        command = source.auth_command()
        if command is not None:
            logins.setdefault(command.name, []).append(command)
    taken = set(logins)
    for name, members in logins.items():
        run = _command(members)
        group.command(name)(run)
        for alias in dict.fromkeys(a for m in members for a in m.aliases):
            if alias not in taken:
                taken.add(alias)
                group.command(alias, help=f"Alias of `keepwarm auth {name}`.")(run)
    return group


def _flags(members: list[AuthCommand]) -> list[AuthFlag]:
    seen: dict[str, AuthFlag] = {}
    for member in members:
        for flag in member.flags:
            seen.setdefault(flag.name, flag)
    return list(seen.values())


def _command(members: list[AuthCommand]) -> Callable[..., None]:
    by_kind = {m.kind: m for m in members}
    flags = _flags(members)

    def run(account: str, config: Path | None = None, **chosen: bool) -> None:
        cfg = load(config)
        acct = account_of_kind(cfg, account, tuple(by_kind))
        request = AuthRequest(
            frozenset(name for name, on in chosen.items() if on),
            peers=tuple(cfg.accounts),
            say=lambda line: out.print(line, markup=False, highlight=False, soft_wrap=True),
            ask=lambda prompt: typer.prompt(prompt, prompt_suffix=""),
        )
        try:
            line = by_kind[acct.kind].run(acct, request)
        except (KeyboardInterrupt, typer.Abort):
            fail(f"account {account!r}: authorization cancelled; nothing was saved", 1)
        except ConnectorError as exc:  # already names the account and the fix
            fail(f"authorization failed: {exc}", 1)
        except Exception as exc:
            fail(f"account {account!r}: authorization failed: {exc}", 1)
        out.print(line, markup=False, highlight=False)

    # typer reads parameters from the signature: ACCOUNT, the flags, then --config.
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter(
            "account",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[
                str,
                typer.Argument(
                    metavar="ACCOUNT",
                    help="The name of an [[accounts]] entry of kind "
                    + " or ".join(f'"{kind}"' for kind in by_kind)
                    + ".",
                    show_default=False,
                ),
            ],
        ),
        *(
            inspect.Parameter(
                flag.name,
                keyword,
                default=False,
                annotation=Annotated[
                    bool, typer.Option("--" + flag.name.replace("_", "-"), help=flag.help)
                ],
            )
            for flag in flags
        ),
        inspect.Parameter("config", keyword, default=None, annotation=ConfigOpt),
    ]
    run.__doc__ = members[0].help
    setattr(run, "__signature__", inspect.Signature(parameters))  # noqa: B010
    return run


def account_of_kind(cfg: Config, name: str, kinds: tuple[str, ...] | str) -> AccountSettings:
    wanted = (kinds,) if isinstance(kinds, str) else kinds
    try:
        acct = cfg.account(name)
    except ConfigError as exc:
        fail(str(exc), 2)
    if acct.kind not in wanted:
        listed = ", ".join(wanted[:-1]) + (" or " if len(wanted) > 1 else "") + wanted[-1]
        fail(f"account {name!r} is a {acct.kind} account, not {listed}", 2)
    return acct
