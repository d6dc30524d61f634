"""Issue 10 item 6: the config is checked early. Every malformed config exits 2 with one
message naming the file and the key, never a traceback; `report` never creates a store and
says to sync first; the store is private (0600); `init` and `doctor`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.template import blocks, render
from models.config import config_from_dict
from models.store import Store

runner = CliRunner()
BIN = Path(sys.executable).parent

GOOD = '[store]\nurl = "sqlite:///{db}"\n[me]\nemails = ["me@example.com"]\n'

# (what is wrong, the config text, a word the message must contain: the key or the fix)
MALFORMED: list[tuple[str, str, str]] = [
    ("timezone", '[report]\ntimezone = "Mars/Olympus"\n', "report.timezone"),
    ("cron words", '[report]\nnightly_cron = "every morning"\n', "report.nightly_cron"),
    ("cron range", '[report]\nnightly_cron = "61 6 * * *"\n', "report.nightly_cron"),
    ("cron fields", '[report]\nnightly_cron = "0 6 * *"\n', "report.nightly_cron"),
    ("store url garbage", '[store]\nurl = "not a url"\n', "store.url"),
    ("store mysql", '[store]\nurl = "mysql://u@h/db"\n', "store.url"),
    ("store empty", '[store]\nurl = ""\n', "store.url"),
    ("store parent is a file", '[store]\nurl = "sqlite:///{file}/kw.db"\n', "store"),
    ("store is a directory", '[store]\nurl = "sqlite:///{dir}"\n', "directory"),
    ("store parent unwritable", '[store]\nurl = "sqlite:///{ro}/kw.db"\n', "writable"),
    ("region", '[me]\ndefault_region = "XX"\n', "me.default_region"),
    ("region long", '[me]\ndefault_region = "USA"\n', "me.default_region"),
    ("me email", '[me]\nemails = ["not-an-address"]\n', "me.emails"),
    ("me email type", "[me]\nemails = 3\n", "me.emails"),
    ("me unknown key", '[me]\nemail = ["me@example.com"]\n', "me.email"),
    ("unknown section", "[stor]\nurl = 1\n", "stor"),
    ("toml syntax", "[store\nurl=1\n", "not valid TOML"),
    ("toml duplicate", "[me]\n[me]\n", "not valid TOML"),
    ("account no kind", '[[accounts]]\nname = "x"\n', "accounts.0"),
    ("account unknown kind", '[[accounts]]\nname = "x"\nkind = "fax"\n', "accounts.0"),
    ("account bad name", '[[accounts]]\nname = "a b"\nkind = "vcard"\npath = "x"\n', "name"),
    ("account no path", '[[accounts]]\nname = "x"\nkind = "mbox"\n', "path"),
    ("gmail no address", '[[accounts]]\nname = "g"\nkind = "gmail"\n', "address"),
    (
        "gmail bad scope",
        '[[accounts]]\nname = "g"\nkind = "gmail"\naddress = "a@b.co"\nscope = "all"\n',
        "scope",
    ),
    (
        "outlook empty client_id",
        '[[accounts]]\nname = "o"\nkind = "outlook"\nclient_id = ""\n',
        "client_id",
    ),
    ("outlook no client_id", '[[accounts]]\nname = "o"\nkind = "outlook"\n', "client_id"),
    (
        "outlook bad mode",
        '[[accounts]]\nname = "o"\nkind = "outlook"\nclient_id = "x"\nmode = "root"\n',
        "mode",
    ),
    (
        "duplicate accounts",
        '[[accounts]]\nname = "a"\nkind = "vcard"\npath = "x"\n'
        '[[accounts]]\nname = "a"\nkind = "vcard"\npath = "y"\n',
        "unique",
    ),
    ("accounts not a list", 'accounts = "vcard"\n', "accounts"),
    ("cadence zero", "[cadence]\ndefault_days = 0\n", "cadence.default_days"),
    ("cadence tier text", '[cadence]\ntiers = {{ close = "monthly" }}\n', "cadence.tiers"),
    ("report limit", "[report]\nlimit = -3\n", "report.limit"),
    ("deliver channel", '[report]\ndeliver = ["fax"]\n', "report.deliver"),
    ("email to", '[report.email]\nto = "nobody"\n', "report.email.to"),
    ("smtp port", '[report.email]\nsmtp_port = "x"\n', "report.email.smtp_port"),
    ("digest budget", "[digest]\nbudget = 0\n", "digest.budget"),
    ("sync deadline", "[sync]\ndeadline_minutes = 0\n", "sync.deadline_minutes"),
    ("rules group", "[rules]\nmax_email_group = -1\n", "rules.max_email_group"),
]


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    file = tmp_path / "a-file"
    file.write_text("x")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    folder = tmp_path / "a-dir"
    folder.mkdir()
    return {"db": str(tmp_path / "kw.db"), "file": str(file), "dir": str(folder), "ro": str(ro)}


@pytest.mark.parametrize(("what", "text", "word"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_config_exits_2_naming_file_and_key(
    tmp_path: Path, places: dict[str, str], what: str, text: str, word: str
) -> None:
    if what == "store parent unwritable" and os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    path = tmp_path / "config.toml"
    path.write_text(text.format(**places), encoding="utf-8")
    for command in (["report"], ["sync"], ["people", "list"], ["serve"], ["doctor"]):
        result = runner.invoke(app, [*command, "--config", str(path)])
        assert result.exit_code == 2, (what, command, result.output, result.exception)
        assert str(path) in result.output, (what, result.output)
        assert word in result.output, (what, result.output)
        assert "Traceback" not in result.output


def test_at_least_thirty_malformed_configs() -> None:
    assert len(MALFORMED) >= 30


def test_config_path_that_is_a_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--config", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.output


def test_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[store]\nurl = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n')
    result = runner.invoke(app, ["report", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert "cannot open the store" in result.output and "Traceback" not in result.output


def test_a_config_mistake_is_reported_fast_without_prefect(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[report]\ntimezone = "Mars/Olympus"\n')
    code = (
        "import sys, time\n"
        "from cli.main import app\n"
        f"try:\n    app(['sync', '--config', {str(path)!r}])\n"
        "except SystemExit as exc:\n    assert exc.code == 2, exc.code\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "NO-PREFECT", done.stderr
    assert "report.timezone" in done.stderr


def test_report_never_creates_a_store_and_says_sync_first(tmp_path: Path) -> None:
    missing = tmp_path / "not-yet" / "kw.db"
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\nurl = "sqlite:///{missing}"\n')
    for command in (["report"], ["people", "list"]):
        result = runner.invoke(app, [*command, "--config", str(path)])
        assert result.exit_code == 2 and "keepwarm sync" in result.output, result.output
    assert not missing.parent.exists()


def test_report_on_an_empty_store_says_sync_first(tmp_path: Path) -> None:
    from models.store import Store

    db = tmp_path / "kw.db"
    Store(f"sqlite:///{db}").close()
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\nurl = "sqlite:///{db}"\n')
    result = runner.invoke(app, ["report", "--config", str(path)])
    assert result.exit_code == 1 and "run `keepwarm sync` first" in result.output


def test_the_sqlite_store_is_private(tmp_path: Path) -> None:
    from sqlalchemy import text

    from models.store import Store

    db = tmp_path / "data" / "kw.db"
    store = Store(f"sqlite:///{db}")
    with store.session() as session:  # a write, so the WAL and shared-memory files exist
        session.execute(text("INSERT INTO meta (key, value) VALUES ('x', 'y')"))
        files = [p for p in db.parent.iterdir() if p.name.startswith("kw.db")]
        assert {p.name for p in files} >= {"kw.db", "kw.db-wal", "kw.db-shm"}
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    store.close()
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_init_writes_a_commented_config_whose_every_block_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "config.toml"
    result = runner.invoke(
        app,
        ["init", "--email", "me@example.com", "--timezone", "Europe/Berlin", "--config", str(path)],
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    base = tomllib.loads(text)
    config_from_dict(base)
    found = blocks(text)
    assert len(found) >= 8
    for block in found:
        combined = tomllib.loads(text + "\n" + block)  # uncommented next to the rest
        config_from_dict(combined, block)
    again = runner.invoke(app, ["init", "--config", str(path)])
    assert again.exit_code == 2 and "--force" in again.output


def test_the_template_renders_valid_with_defaults() -> None:
    config_from_dict(tomllib.loads(render(store_url="sqlite:///x.db", emails=["a@b.co"])))


def test_doctor_checks_config_store_accounts_and_prefect(tmp_path: Path) -> None:
    mbox = tmp_path / "mail.mbox"
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
        f'[[accounts]]\nname = "mail"\nkind = "mbox"\npath = "{mbox}"\n'
        f'[[accounts]]\nname = "g"\nkind = "gmail"\naddress = "a@b.co"\n'
        f'token_file = "{tmp_path / "none.json"}"\n'
    )
    env = {"PREFECT_API_URL": ""}
    result = runner.invoke(app, ["doctor", "--config", str(path)], env=env)
    assert result.exit_code == 1, result.output
    assert "does not exist" in result.output and "keepwarm auth gmail g" in result.output
    assert "Prefect API" in result.output and "store" in result.output
    mbox.write_text("")
    (tmp_path / "none.json").write_text(
        '{"refresh_token": "r", "scopes": ["https://www.googleapis.com/auth/gmail.metadata"]}'
    )
    result = runner.invoke(app, ["doctor", "--config", str(path)], env=env)
    assert result.exit_code == 0, result.output
    # The store does not exist yet: not a problem, but not "all good" either.
    assert "no problems; 1 thing(s) still to do" in result.output
    Store(f"sqlite:///{tmp_path / 'kw.db'}").close()
    result = runner.invoke(app, ["doctor", "--config", str(path)], env=env)
    assert result.exit_code == 0 and "all good" in result.output, result.output


def test_auth_outlook_with_an_empty_client_id_never_reaches_the_network(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[accounts]]\nname = "work"\nkind = "outlook"\nclient_id = ""\n')
    result = runner.invoke(app, ["auth", "outlook", "work", "--config", str(path)])
    assert result.exit_code == 2 and "client_id is empty" in result.output


def test_international_addresses_are_welcome(tmp_path: Path) -> None:
    config = config_from_dict(
        {"me": {"emails": ["jörg@bücher.example", "用户@例子.中国"], "default_region": "de"}}
    )
    assert config.me.emails == ["jörg@bücher.example", "用户@例子.中国"]
    assert config.me.default_region == "DE"
    from models.identity import normalize_email

    assert normalize_email("Jörg@Bücher.example") == "jörg@bücher.example"
    assert normalize_email("not an address") is None


def test_an_unauthorized_account_is_one_line_and_fast(tmp_path: Path) -> None:
    import time

    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
        '[[accounts]]\nname = "personal"\nkind = "gmail"\naddress = "me@example.com"\n'
        f'token_file = "{tmp_path / "none.json"}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / "keepwarm"), "sync", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: account 'personal': not authorized yet (no token at {tmp_path / 'none.json'}); "
        "run `keepwarm auth gmail personal`"
    ], done.stderr
    assert elapsed < 10, elapsed
