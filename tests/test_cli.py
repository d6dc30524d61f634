"""The command line: exit codes, error messages that name the file and the fix, people edits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.records import Batch
from models.store import Store
from tests.builders import card, config, sent

runner = CliRunner()


def write_config(tmp_path: Path, store_url: str, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[store]\nurl = "{store_url}"\n[me]\nemails = ["me@example.com"]\n'
        f"[cadence]\ntiers = {{ close = 30 }}\n{extra}",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def populated(tmp_path: Path, sqlite_url: str) -> Path:
    store = Store(sqlite_url)
    store.apply_batch(
        "mail",
        "mbox",
        Batch(
            cards=[card("ada", "Ada Lovelace", "ada@example.com", categories=("close",))],
            interactions=[
                sent("1", "2026-08-01T10:00:00", "ada@example.com"),
                sent("2", "2026-08-02T10:00:00", "ada.work@example.org"),
            ],
        ),
        config(sqlite_url).rules,
    )
    store.close()
    return write_config(tmp_path, sqlite_url)


def test_missing_config_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "nope.toml" in result.output and "config file not found" in result.output


def test_invalid_config_names_the_key(tmp_path: Path, sqlite_url: str) -> None:
    path = write_config(tmp_path, sqlite_url, '[[accounts]]\nname = "x"\nkind = "fax"\n')
    result = runner.invoke(app, ["report", "--config", str(path)])
    assert result.exit_code == 2
    assert "accounts.0" in result.output


def test_unknown_account_is_exit_2(populated: Path) -> None:
    result = runner.invoke(app, ["sync", "--account", "nope", "--config", str(populated)])
    assert result.exit_code == 2 and "no account named 'nope'" in result.output


def test_report_json_and_bad_date(populated: Path) -> None:
    result = runner.invoke(
        app, ["report", "--format", "json", "--as-of", "2026-11-25", "--config", str(populated)]
    )
    assert result.exit_code == 0, result.output
    names = [p["name"] for p in json.loads(result.stdout)["people"]]
    assert names == ["Ada Lovelace", "Ada Work"]
    bad = runner.invoke(app, ["report", "--as-of", "25/11/2026", "--config", str(populated)])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_report_does_not_import_prefect(populated: Path) -> None:
    """In a fresh interpreter: `report` and `people` answer without importing Prefect."""
    code = (
        "import sys\n"
        "from cli.main import app\n"
        "for args in (['report'], ['people', 'list']):\n"
        "    try:\n"
        f"        app(args + ['--config', {str(populated)!r}])\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("NO-PREFECT")


def test_people_merge_is_pinned_and_set_overrides(populated: Path, sqlite_url: str) -> None:
    cfg = ["--config", str(populated)]
    merged = runner.invoke(
        app, ["people", "merge", "ada@example.com", "ada.work@example.org", *cfg]
    )
    assert merged.exit_code == 0, merged.output
    out = runner.invoke(app, ["report", "--format", "json", "--as-of", "2026-11-25", *cfg])
    people = json.loads(out.stdout)["people"]
    assert len(people) == 1 and sorted(people[0]["emails"]) == [
        "ada.work@example.org",
        "ada@example.com",
    ]
    assert runner.invoke(app, ["people", "set", "Ada", "--cadence", "200", *cfg]).exit_code == 0
    out = runner.invoke(app, ["report", "--format", "json", "--as-of", "2026-11-25", *cfg])
    ada = json.loads(out.stdout)["people"][0]
    assert (ada["cadence_days"], ada["cadence_source"], ada["status"]) == (200, "override", "warm")
    split = runner.invoke(app, ["people", "split", "Ada", "ada.work@example.org", *cfg])
    assert split.exit_code == 0, split.output
    # Not even a card that lists both addresses may undo the manual split.
    store = Store(sqlite_url)
    both = card("ada", "Ada Lovelace", "ada@example.com", "ada.work@example.org")
    store.apply_batch(
        "mail",
        "mbox",
        Batch(cards=[both]),
        config(sqlite_url).rules,
    )
    out = runner.invoke(app, ["report", "--format", "json", "--as-of", "2026-11-25", *cfg])
    assert len(json.loads(out.stdout)["people"]) == 2


def test_people_unknown_is_exit_2(populated: Path) -> None:
    result = runner.invoke(app, ["people", "show", "nobody", "--config", str(populated)])
    assert result.exit_code == 2 and "people list" in result.output
