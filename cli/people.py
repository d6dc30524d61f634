"""`keepwarm people …`: list, show and correct people, and answer the digest back (snooze,
ignore, log). Reads the store and writes only your own corrections; never imports Prefect.

PERSON is an id or id prefix, an email, a phone number, or a unique part of a name. Every
command says what it changed; one that would change nothing, or make no sense (merge a
person with itself, split off someone's last address), is refused with exit status 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich import box
from rich.table import Table

from cli.common import DATE_HELP, ConfigOpt, load, open_store, parse_day, parse_moment
from cli.output import fail, out, plain, say
from models.config import Config

if TYPE_CHECKING:
    from models.people import PersonView
    from models.report import PersonEntry

people_app = typer.Typer(
    help="List, inspect and correct people; snooze, ignore or log contact with them.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

PersonArg = Annotated[
    str,
    typer.Argument(
        metavar="PERSON",
        help="An id or id prefix, an email, a phone number, or a unique part of a name.",
        show_default=False,
    ),
]
STATUSES = ("warm", "cooling", "cold", "dormant", "never")
T = TypeVar("T")

NAME_SOURCES = {
    "manual": "set by you",
    "card": "their address book card",
    "self": "their own From header",
    "others": "how others' mail names them",
    "correspondence": "how others' mail names them",
    "address": "derived from their address",
}
CADENCE_SOURCES = {
    "override": "set by you",
    "tier": "their tier",
    "inferred": "inferred: the median gap between your contact days",
    "default": "[cadence] default_days",
}


def _call(cfg: Config, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    from models.people import PersonNotFound, Refused

    store = open_store(cfg)
    try:
        return fn(store, *args, **kwargs)
    except (PersonNotFound, Refused) as exc:
        fail(str(exc), 2)
    finally:
        store.close()


def _entries(cfg: Config) -> dict[str, PersonEntry]:
    """The report's computed fields (status, tier, cadence, last contact) by person id."""
    from models.report import build_report

    store = open_store(cfg)
    try:
        return {p.id: p for p in build_report(store, cfg).people}
    finally:
        store.close()


def _ident(view: PersonView) -> str:
    return f"{view.name} ({view.id[:8]})"


def _short(view: PersonView) -> Table:
    table = Table(show_header=True, box=None)
    for column in ("id", "name", "emails", "phones"):
        table.add_column(column)
    table.add_row(
        plain(view.id[:8]),
        plain(view.name),
        plain(", ".join(view.emails)),
        plain(", ".join(view.phones)),
    )
    return table


def _tier_source(view: PersonView, entry: PersonEntry | None) -> str:
    if view.tier_override:
        return "set by you"
    tier = entry.tier if entry else None
    if not tier:
        return ""
    for key, categories in view.card_categories.items():
        if tier.lower() in (c.lower() for c in categories):
            return f"CATEGORIES on {view.card_places.get(key, key)}"
    return "their cards"


def _row(view: PersonView, entry: PersonEntry | None) -> dict[str, Any]:
    last = entry.last_contact if entry else None
    return {
        "id": view.id,
        "name": view.name,
        "emails": view.emails,
        "phones": view.phones,
        "status": entry.status if entry else None,
        "last_contact": None
        if last is None
        else {"at": last.at.isoformat().replace("+00:00", "Z"), "channel": last.channel},
        "tier": entry.tier if entry else view.tier_override,
        "tier_source": _tier_source(view, entry) or None,
        "cadence_days": entry.cadence_days if entry else view.cadence_override,
        "cadence_source": entry.cadence_source if entry else None,
        "snoozed_until": view.snoozed_until.isoformat() if view.snoozed_until else None,
        "ignored": view.ignored,
    }


@people_app.command("list")
def people_list(
    status: Annotated[
        list[str] | None,
        typer.Option(help=f"Only people with this status ({' | '.join(STATUSES)}); repeatable."),
    ] = None,
    tier: Annotated[list[str] | None, typer.Option(help="Only this tier; repeatable.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Everyone keepwarm knows: status, last contact, tier and cadence as the report has them."""
    from models.people import list_people

    cfg = load(config)
    wanted_status = {s.lower() for s in status or []}
    if wanted_status - set(STATUSES):
        bad = sorted(wanted_status - set(STATUSES))[0]
        fail(f"--status {bad!r} is not one of {', '.join(STATUSES)}", 2)
    wanted_tier = {t.lower() for t in tier or []}
    entries = _entries(cfg)
    rows = []
    for view in _call(cfg, list_people):
        row = _row(view, entries.get(view.id))
        if wanted_status and row["status"] not in wanted_status:
            continue
        if wanted_tier and (row["tier"] or "").lower() not in wanted_tier:
            continue
        rows.append(row)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(
        caption=f"{len(rows)} people", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True
    )
    # Dates, ids and statuses never wrap or get cut (at 80 columns the date is what matters);
    # names and addresses fold instead.
    table.add_column("id", no_wrap=True, min_width=8)
    table.add_column("name", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("last contact", no_wrap=True, min_width=10)
    table.add_column("cadence", no_wrap=True)  # with the tier it comes from, or how
    table.add_column("email or phone", ratio=1, overflow="fold")
    for row in rows:
        last = row["last_contact"]
        cadence = row["cadence_days"]
        table.add_row(
            plain(row["id"][:8]),
            plain(row["name"]),
            plain(row["status"] or "—"),
            plain(f"{last['at'][:10]}\n{last['channel']}" if last else "—"),
            plain(f"{cadence} d\n{_cadence_from(row)}" if cadence else ""),
            plain(_first_identity(row["emails"] + row["phones"])),
        )
    out.print(table)


def _cadence_from(row: dict[str, Any]) -> str:
    source = str(row["cadence_source"])
    return str(row["tier"]) if source == "tier" and row["tier"] else source


def _first_identity(identities: list[str]) -> str:
    """The first address, and how many more (`people show` and `--json` list them all)."""
    if not identities:
        return ""
    more = len(identities) - 1
    return identities[0] + (f" (+{more})" if more else "")


@people_app.command("show")
def people_show(person: PersonArg, config: ConfigOpt = None) -> None:
    """One person: status, last contact per channel, recent history, where their tier, name
    and cadence came from, and what you did about them."""
    from models.people import contact_history, show_person

    cfg = load(config)
    view = _call(cfg, show_person, person, cfg.me.default_region)
    entry = _entries(cfg).get(view.id)
    store = open_store(cfg)
    try:
        newest, recent = contact_history(store, view.id, datetime.now(UTC))
    finally:
        store.close()

    def line(label: str, value: str) -> None:
        out.print(plain(f"{label:<14}{value}"), highlight=False, soft_wrap=True)

    out.print(plain(_ident(view), "bold"))
    line("emails", ", ".join(view.emails) or "—")
    line("phones", ", ".join(view.phones) or "—")
    line("name from", NAME_SOURCES.get(view.name_source, view.name_source))
    if entry is None:
        line("status", "not in the report (no card, and you never wrote to or met them)")
    else:
        line("status", f"{entry.status} — {entry.reason}")
        line("tier", f"{entry.tier} (from {_tier_source(view, entry)})" if entry.tier else "—")
        cadence = CADENCE_SOURCES.get(entry.cadence_source, entry.cadence_source)
        if entry.cadence_source == "tier" and entry.tier:
            cadence = f"tier {entry.tier} in [cadence] tiers"
        line("cadence", f"every {entry.cadence_days} days ({cadence})")
        if entry.next_planned_at:
            line("next planned", f"{entry.next_planned_at:%Y-%m-%d %H:%M} UTC")
    if view.snoozed_until:
        line("snoozed until", view.snoozed_until.isoformat())
    if view.ignored:
        line("ignored", "yes: never suggested in the digest")
    for channel, at in sorted(newest.items(), key=lambda kv: kv[1], reverse=True):
        line(f"last {channel}", f"{at:%Y-%m-%d %H:%M} UTC")
    if recent:
        table = Table(title="recent contact", title_justify="left")
        for column in ("when (UTC)", "channel", "direction", "account"):
            table.add_column(column)
        for c in recent:
            table.add_row(
                f"{c.at:%Y-%m-%d %H:%M}", plain(c.channel), plain(c.direction), plain(c.account)
            )
        out.print(table)
    else:
        line("contact", "none on record")
    if view.actions:
        table = Table(title="what you did", title_justify="left")
        for column in ("when (UTC)", "action", "detail"):
            table.add_column(column)
        for when, action, detail in view.actions:
            table.add_row(f"{when:%Y-%m-%d %H:%M}", plain(action), plain(detail))
        out.print(table)
    for card in view.cards:
        line("card", view.card_places.get(card, card))


@people_app.command("merge")
def people_merge(
    keep: Annotated[str, typer.Argument(metavar="KEEP", help="The person to keep (PERSON).")],
    other: Annotated[
        str, typer.Argument(metavar="OTHER", help="The person merged into KEEP (PERSON).")
    ],
    config: ConfigOpt = None,
) -> None:
    """Merge OTHER into KEEP (pinned: a later sync will not undo it; `people unmerge` will)."""
    from models.people import merge, show_person

    cfg = load(config)
    before = _call(cfg, show_person, other, cfg.me.default_region)
    view = _call(cfg, merge, keep, other, cfg.me.default_region)
    moved = len(before.emails) + len(before.phones)
    say(
        f"merged {_ident(before)} into {_ident(view)}: {moved} email(s)/phone(s) and "
        f"{len(before.cards)} card(s) moved; undo with `keepwarm people unmerge {view.id[:8]}`",
        console=out,
    )
    out.print(_short(view))


@people_app.command("unmerge")
def people_unmerge(person: PersonArg, config: ConfigOpt = None) -> None:
    """Undo the newest merge into PERSON: the merged person comes back with their identities,
    cards, name, tier, cadence and actions, and PERSON gets back what they had before."""
    from models.people import unmerge

    cfg = load(config)
    done = _call(cfg, unmerge, person, cfg.me.default_region)
    say(
        f"unmerged {_ident(done.restored)} from {_ident(done.kept)}: "
        f"{done.moved} email(s)/phone(s) given back",
        console=out,
    )
    out.print(_short(done.kept))
    out.print(_short(done.restored))


@people_app.command("split")
def people_split(
    person: PersonArg,
    identity: Annotated[
        str, typer.Argument(metavar="IDENTITY", help="The email or phone to move out.")
    ],
    config: ConfigOpt = None,
) -> None:
    """Move IDENTITY (an email or phone) of PERSON to a new person of its own."""
    from models.people import split

    cfg = load(config)
    view = _call(cfg, split, person, identity, cfg.me.default_region)
    say(f"moved {identity} out of {person!r} into a new person {_ident(view)}", console=out)
    out.print(_short(view))


@people_app.command("delete")
def people_delete(
    person: PersonArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Forget PERSON: their identities, corrections and actions. The sources' interactions
    stay, so a later sync that meets them again makes a new person; to keep someone out of
    the digest for good, use `keepwarm people ignore`."""
    from models.people import delete_person, show_person

    cfg = load(config)
    view = _call(cfg, show_person, person, cfg.me.default_region)
    if not yes and not typer.confirm(f"Forget {_ident(view)}?", default=False, err=True):
        fail("nothing deleted", 1)
    _call(cfg, delete_person, view.id, cfg.me.default_region)
    say(
        f"forgot {_ident(view)} ({', '.join(view.emails + view.phones) or 'no identities'})",
        console=out,
    )


@people_app.command("set")
def people_set(
    person: PersonArg,
    cadence: Annotated[int | None, typer.Option(help="Talk every N days.", min=1)] = None,
    tier: Annotated[str | None, typer.Option(help="A tier from [cadence] tiers.")] = None,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    clear: Annotated[bool, typer.Option(help="Remove cadence and tier overrides.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Set a person's cadence, tier or name (overrides what cards and history say)."""
    from models.people import set_options

    cfg = load(config)
    if cadence is None and tier is None and name is None and not clear:
        fail("nothing to set: give --cadence DAYS, --tier TIER, --name NAME or --clear", 2)
    if tier is not None and tier.lower() not in {t.lower() for t in cfg.cadence.tiers}:
        fail(f"--tier {tier!r} is not in [cadence] tiers ({', '.join(cfg.cadence.tiers)})", 2)
    view = _call(
        cfg,
        set_options,
        person,
        cadence=cadence,
        tier=tier,
        name=name,
        clear=clear,
        default_region=cfg.me.default_region,
    )
    say(f"{_ident(view)}: {view.actions[-1][2]}", console=out)
    out.print(_short(view))


@people_app.command("snooze")
def people_snooze(
    person: PersonArg,
    until: Annotated[
        str | None, typer.Option(help=f"Back in the digest on this day ({DATE_HELP}).")
    ] = None,
    days: Annotated[int | None, typer.Option("--for", help="Back after N days.", min=1)] = None,
    config: ConfigOpt = None,
) -> None:
    """Keep PERSON out of the digest until a day (--until DATE) or for N days (--for N)."""
    from models.people import snooze

    cfg = load(config)
    if (until is None) == (days is None):
        fail("give exactly one of --until DATE or --for DAYS", 2)
    today = date.today()
    day = parse_day(until, "--until") if until else today + timedelta(days=days or 0)
    assert day is not None
    if day <= today:
        fail(f"--until {day.isoformat()} is not after today ({today.isoformat()})", 2)
    view = _call(cfg, snooze, person, day, cfg.me.default_region)
    say(f"snoozed {_ident(view)} until {day.isoformat()}", console=out)


@people_app.command("unsnooze")
def people_unsnooze(person: PersonArg, config: ConfigOpt = None) -> None:
    """Let PERSON back into the digest now."""
    from models.people import unsnooze

    cfg = load(config)
    view = _call(cfg, unsnooze, person, cfg.me.default_region)
    if not view.changed:
        say(f"{_ident(view)} was not snoozed; nothing changed", console=out)
        return
    say(f"{_ident(view)} is no longer snoozed", console=out)


@people_app.command("ignore")
def people_ignore(person: PersonArg, config: ConfigOpt = None) -> None:
    """Never suggest PERSON in the digest (they stay in the table, marked)."""
    from models.people import set_ignored

    cfg = load(config)
    view = _call(cfg, set_ignored, person, True, cfg.me.default_region)
    if not view.changed:
        say(f"{_ident(view)} is already ignored; nothing changed", console=out)
        return
    say(f"ignoring {_ident(view)}: never suggested in the digest", console=out)


@people_app.command("unignore")
def people_unignore(person: PersonArg, config: ConfigOpt = None) -> None:
    """Suggest PERSON in the digest again."""
    from models.people import set_ignored

    cfg = load(config)
    view = _call(cfg, set_ignored, person, False, cfg.me.default_region)
    if not view.changed:
        say(f"{_ident(view)} was not ignored; nothing changed", console=out)
        return
    say(f"{_ident(view)} may be suggested in the digest again", console=out)


@people_app.command("log")
def people_log(
    person: PersonArg,
    channel: Annotated[str, typer.Option(help="call | meeting | message | in-person")],
    at: Annotated[
        str | None,
        typer.Option(
            help=f"When: {DATE_HELP} or YYYY-MM-DDTHH:MM in [report] timezone (default: now)."
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Log contact no source can see (a call, a coffee): it counts like any other."""
    from models.people import LOG_CHANNELS, log_contact

    cfg = load(config)
    channel = channel.lower()
    if channel not in LOG_CHANNELS:
        fail(f"--channel {channel!r}: choose one of {', '.join(LOG_CHANNELS)}", 2)
    moment = parse_moment(at, "--at", cfg.report.timezone)
    if moment > datetime.now(UTC) + timedelta(minutes=1):
        fail(f"--at {at} is in the future; log contact that happened", 2)
    view = _call(cfg, log_contact, person, channel, moment, cfg.rules, cfg.me.default_region)
    what = {"in-person": "an in-person meeting"}.get(channel, f"a {channel}")
    say(f"logged {what} with {_ident(view)} on {moment:%Y-%m-%d %H:%M} UTC", console=out)
