"""`keepwarm init` (write a commented config) and `keepwarm doctor` (check everything a sync
needs: the config, the store, each account's credentials and scopes, the Prefect API)."""

from __future__ import annotations

import os
import stat
import urllib.request
from typing import Annotated

import typer

from cli.common import ConfigOpt, load
from cli.output import fail, out, say
from models.config import config_from_dict, default_config_path
from models.paths import default_store_url, expand


def init(
    email: Annotated[
        list[str] | None,
        typer.Option("--email", help="Your own address (repeatable); you can edit it later."),
    ] = None,
    region: Annotated[str, typer.Option(help="Default phone region (US, GB, DE, …).")] = "US",
    timezone: Annotated[str, typer.Option(help="Your IANA time zone, e.g. Europe/Berlin.")] = "UTC",
    force: Annotated[bool, typer.Option(help="Overwrite an existing config.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Write a commented config (every source's block ready to uncomment), then say what next."""
    import tomllib

    from cli.template import render
    from models.config import ConfigError

    path = expand(str(config)) if config else default_config_path()
    if path.is_dir():
        fail(f"{path}: is a directory; pass a file path with --config", 2)
    if path.exists() and not force:
        fail(f"{path} exists; keep it, or pass --force to overwrite it", 2)
    text = render(
        store_url=default_store_url(),
        emails=email or ["you@example.com"],
        region=region,
        timezone=timezone,
    )
    try:
        config_from_dict(tomllib.loads(text), str(path))
    except ConfigError as exc:
        fail(str(exc).replace("invalid config", "these options make an invalid config"), 2)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
    say(f"wrote {path}", console=out)
    say(
        "next: put your addresses in [me] emails, uncomment an [[accounts]] block, then run "
        "`keepwarm doctor`, `keepwarm sync` and `keepwarm report`",
        console=out,
    )


def doctor(config: ConfigOpt = None) -> None:
    """Check the config, the store, every account's credentials and the Prefect API."""
    from cli.sync import preflight
    from models.store import Store, StoreError, sqlite_path, store_problem

    cfg = load(config)  # exits 2, naming file and key, on any config mistake
    problems = 0
    warnings = 0

    def check(ok: bool, what: str, detail: str, *, warn: bool = False) -> None:
        nonlocal problems, warnings
        mark, style = ("ok  ", "green") if ok else (("warn", "yellow") if warn else ("FAIL", "red"))
        problems += 0 if ok or warn else 1
        warnings += 1 if not ok and warn else 0
        say(f"{mark} {what}: {detail}", style=style, console=out)

    check(True, "config", cfg.source_path)
    missing = store_problem(cfg.store.url, create=False)
    if missing is not None and "run `keepwarm sync` first" in missing:
        check(False, "store", f"{missing} (it will be created 0600)", warn=True)
    else:
        try:
            Store(cfg.store.url).close()
            check(True, "store", cfg.store.url)
        except StoreError as exc:
            check(False, "store", str(exc))
        path = sqlite_path(cfg.store.url)
        if path is not None and path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            check(
                mode & 0o077 == 0,
                "store file mode",
                f"{mode:04o}" + ("" if mode & 0o077 == 0 else f"; run chmod 600 {path}"),
                warn=True,
            )
    if not cfg.accounts:
        check(False, "accounts", "none configured; uncomment a block in the config", warn=True)
    for account in cfg.accounts:
        found = preflight(cfg, [account.name])
        check(not found, f"account {account.name} ({account.kind})", found[0] if found else "ready")
    api = os.environ.get("PREFECT_API_URL")
    if not api:
        check(
            True,
            "Prefect API",
            "not configured: `sync` runs in this process; `serve` starts a local API",
        )
    else:
        try:
            with urllib.request.urlopen(api.rstrip("/") + "/health", timeout=5) as answer:
                check(answer.status == 200, "Prefect API", f"{api} answers")
        except OSError as exc:
            check(False, "Prefect API", f"{api} does not answer: {exc}")
    if problems:
        fail(f"{problems} problem(s) found", 1)
    if warnings:
        note = f"no problems; {warnings} thing(s) still to do (warn above)"
        say(note, style="yellow", console=out)
        return
    say("all good", style="green", console=out)
