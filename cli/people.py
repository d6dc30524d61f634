"""`keepwarm people …`: list, show, merge, split and set people. Reads and writes only your
own corrections in the store; never imports Prefect."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from cli.common import ConfigOpt, load
from cli.output import fail, out
from models.config import Config

people_app = typer.Typer(help="List, inspect and correct people.", no_args_is_help=True)


def _store(cfg: Config) -> Any:
    from models.store import Store

    return Store(cfg.store.url)


def _person_table(people: list[Any]) -> Table:
    table = Table()
    for column in ("id", "name", "emails", "phones", "cadence", "tier"):
        table.add_column(column)
    for p in people:
        table.add_row(
            p.id[:8],
            p.name,
            ", ".join(p.emails),
            ", ".join(p.phones),
            str(p.cadence_override or ""),
            p.tier_override or "",
        )
    return table


def _people_call(cfg: Config, fn: Any, *args: Any, **kwargs: Any) -> Any:
    from models.people import PersonNotFound

    store = _store(cfg)
    try:
        return fn(store, *args, **kwargs)
    except PersonNotFound as exc:
        fail(str(exc), 2)
    finally:
        store.close()


@people_app.command("list")
def people_list(config: ConfigOpt = None) -> None:
    """Everyone keepwarm knows, with their identities."""
    from models.people import list_people

    cfg = load(config)
    out.print(_person_table(_people_call(cfg, list_people)))


@people_app.command("show")
def people_show(person: str, config: ConfigOpt = None) -> None:
    """One person (by id, email, phone or name) and where each fact came from."""
    from models.people import show_person

    cfg = load(config)
    view = _people_call(cfg, show_person, person, cfg.me.default_region)
    out.print(_person_table([view]))
    for card in view.cards:
        out.print(f"  card: {card}", highlight=False)


@people_app.command("merge")
def people_merge(keep: str, other: str, config: ConfigOpt = None) -> None:
    """Merge OTHER into KEEP (pinned: a later sync will not undo it)."""
    from models.people import merge

    cfg = load(config)
    out.print(_person_table([_people_call(cfg, merge, keep, other, cfg.me.default_region)]))


@people_app.command("split")
def people_split(person: str, identity: str, config: ConfigOpt = None) -> None:
    """Move IDENTITY (an email or phone) of PERSON to a new person of its own."""
    from models.people import split

    cfg = load(config)
    out.print(_person_table([_people_call(cfg, split, person, identity, cfg.me.default_region)]))


@people_app.command("set")
def people_set(
    person: str,
    cadence: Annotated[int | None, typer.Option(help="Talk every N days.", min=1)] = None,
    tier: Annotated[str | None, typer.Option(help="A tier from [cadence].tiers.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove cadence and tier overrides.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Set a person's cadence or tier (overrides what cards and history say)."""
    from models.people import set_options

    cfg = load(config)
    if tier is not None and tier.lower() not in {t.lower() for t in cfg.cadence.tiers}:
        fail(f"--tier {tier!r} is not in [cadence].tiers ({', '.join(cfg.cadence.tiers)})", 2)
    view = _people_call(
        cfg,
        set_options,
        person,
        cadence=cadence,
        tier=tier,
        name=name,
        clear=clear,
        default_region=cfg.me.default_region,
    )
    out.print(_person_table([view]))
