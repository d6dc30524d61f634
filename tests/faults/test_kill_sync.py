"""SIGKILL a real `keepwarm sync` at seeded batch boundaries, inside a batch's transaction and
between commits — an mbox of 50,000 messages, a Gmail backfill and an Outlook delta sync on
the fakes — rerun after each kill, and compare with an uninterrupted run: the same store row
for row, the same report, no lock or provider slot left held, nothing left running, no rerun
that hangs or is refused (issue 11, "Make the probes part of the project")."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import trustme

from tests.faults.harness import (
    Tally,
    campaign,
    diff,
    dump,
    environment,
    kill_points,
    report_json,
    run,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

ME = "me@example.com"
SEED = 20261208
TALLIES: list[Tally] = []


def write_mbox(path: Path, messages: int, seed: int = SEED) -> None:
    """A Takeout-like mbox, fast: `messages` short messages among 3,000 correspondents."""
    import random

    rng = random.Random(seed)
    start = datetime(2018, 1, 1, tzinfo=UTC)
    parts = []
    for n in range(messages):
        when = start + timedelta(minutes=n * 37 + rng.randrange(30))
        who = f"person{rng.randrange(3000):04d}@corp{rng.randrange(40)}.example"
        stamp = when.strftime("%a %b %d %H:%M:%S %Y")
        date = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
        if n % 3 == 0:
            head = f"From: Me <{ME}>\nTo: {who}"
        elif n % 11 == 0:
            head = f"From: News <news@shop{rng.randrange(5)}.example>\nTo: {ME}\nList-Id: <l.x>"
        else:
            head = f"From: {who.split('@')[0].title()} <{who}>\nTo: {ME}"
        parts.append(
            f"From x@y {stamp}\n{head}\nDate: {date}\nMessage-ID: <m{n}@fault.example>\n"
            f"Subject: s{n}\n\nbody {n}\n\n"
        )
    path.write_text("".join(parts), encoding="utf-8")


def config(tmp: Path, accounts: str, extra: str = "") -> Path:
    path = tmp / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp / "kw.db"}"\n\n[me]\nemails = ["{ME}"]\n\n'
        f"{accounts}\n{extra}",
        encoding="utf-8",
    )
    return path


def reference(tmp: Path, accounts: str, env: dict[str, str]) -> tuple[Path, str]:
    """An uninterrupted sync into a store of its own."""
    ref = tmp / "ref"
    ref.mkdir()
    cfg = config(ref, accounts)
    result = run("none", ["sync", "--config", str(cfg)], env)
    assert result.code == 0, result.stderr[-3000:]
    return cfg, f"sqlite:///{ref / 'kw.db'}"


def compare(source: str, tmp: Path, accounts: str, env: dict[str, str], batches: int) -> Tally:
    ref_cfg, ref_url = reference(tmp, accounts, env)
    work = tmp / "work"
    work.mkdir()
    cfg = config(work, accounts)
    url = f"sqlite:///{work / 'kw.db'}"
    points = kill_points(SEED + len(source), batches)
    tally = campaign(source, ["sync", "--config", str(cfg)], env, url, points)
    tally.lost, tally.duplicated = diff(dump(ref_url), dump(url))
    as_of = datetime.now(UTC).date()
    assert report_json(cfg, env, as_of) == report_json(ref_cfg, env, as_of)
    again = run("none", ["sync", "--config", str(cfg)], env)
    assert again.code == 0 and dump(url) == dump(ref_url)
    TALLIES.append(tally)
    print(tally.line())
    return tally


def check(tally: Tally) -> None:
    assert (tally.lost, tally.duplicated) == (0, 0), tally
    assert (tally.stale_locks, tally.held_slots, tally.orphans, tally.hung) == (0, 0, 0, 0), tally


def test_mbox_50k_killed_ten_times(tmp_path: Path) -> None:
    box = tmp_path / "takeout.mbox"
    write_mbox(box, 50_000)
    accounts = f'[[accounts]]\nname = "takeout"\nkind = "mbox"\npath = "{box}"\n'
    env = environment({"KW_BATCH": "1000"})
    check(compare("mbox 50k", tmp_path, accounts, env, batches=50))


def test_gmail_backfill_killed_ten_times(tmp_path: Path) -> None:
    from tests.fakes.gmail_server import FakeGmail, generate_mailbox

    with FakeGmail(units_per_second=None) as fake:
        generate_mailbox(fake, 4000, seed=SEED % 1000)
        token = tmp_path / "token.json"
        token.write_text(json.dumps(fake.authorized_user_info()))
        os.chmod(token, 0o600)
        accounts = (
            f'[[accounts]]\nname = "personal"\nkind = "gmail"\naddress = "{ME}"\n'
            f'api_endpoint = "{fake.endpoint}"\ntoken_file = "{token}"\n'
            "quota = { units_per_second = 10000000.0 }\n"
        )
        env = environment({"KW_BATCH": "100"})
        check(compare("gmail backfill", tmp_path, accounts, env, batches=25))


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    from connectors.outlook.auth import run_auth
    from connectors.outlook.settings import OutlookAccount
    from tests.fakes.authority import FakeAuthority, write_ca
    from tests.fakes.graph_server import FakeGraph, SyntheticCalendar

    ca = trustme.CA()
    bundle = write_ca(ca, tmp_path / "ca.pem")
    authority = FakeAuthority(ca)
    fake = FakeGraph(authority, ca)
    owner = "ada@firm.example"
    try:
        authority.add_user(owner)
        fake.mailbox(owner)
        now = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time.max, UTC)
        SyntheticCalendar(fake, owner, now).generate(series=30, occurrences=20, singles=400)
        account = OutlookAccount(
            name="work",
            kind="outlook",
            authority=authority.authority,
            graph_endpoint=fake.endpoint,
            client_id="desktop-app",
            token_cache=str(tmp_path / "work.msal.json"),
        )
        authority.signed_in = owner
        os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
        try:
            run_auth(account, echo=lambda _msg: None)
        finally:
            del os.environ["REQUESTS_CA_BUNDLE"]
        accounts = (
            f'[[accounts]]\nname = "work"\nkind = "outlook"\nauthority = "{account.authority}"\n'
            f'graph_endpoint = "{account.graph_endpoint}"\nclient_id = "desktop-app"\n'
            f'token_cache = "{account.token_cache}"\n'
        )
        yield accounts, {"REQUESTS_CA_BUNDLE": str(bundle)}
    finally:
        fake.close()
        authority.close()


def test_outlook_delta_killed_ten_times(tmp_path: Path, graph: tuple[str, dict[str, str]]) -> None:
    accounts, extra = graph
    env = environment({**extra, "KW_BATCH": "20"})
    check(compare("outlook delta", tmp_path, accounts, env, batches=30))
