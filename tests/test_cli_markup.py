"""Issue 10 item 1: nothing user-supplied or key-like is parsed as rich markup, anywhere in
the CLI: errors, tables, help text. One test per case the issue lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.test_cli import populated, write_config  # noqa: F401  (fixture)

runner = CliRunner()


def cfg(path: Path) -> list[str]:
    return ["--config", str(path)]


def test_delivery_fix_keeps_its_key(populated: Path) -> None:  # noqa: F811
    """`set [report.email] to = "you@example.com"` used to read `set  to = …`."""
    result = runner.invoke(app, ["report", "--deliver", "email", *cfg(populated)])
    assert result.exit_code == 2  # a config mistake
    assert '[report.email] to = "you@example.com"' in result.output


def test_unknown_account_fix_keeps_its_brackets(populated: Path) -> None:  # noqa: F811
    """`add an [[accounts]] entry` used to read `add an [] entry`."""
    result = runner.invoke(app, ["sync", "--account", "nope", *cfg(populated)])
    assert result.exit_code == 2
    assert "add an [[accounts]] entry" in result.output


def test_tier_error_and_help_name_the_section(populated: Path) -> None:  # noqa: F811
    """`not in .tiers` (error and --help) must say `[cadence] tiers`."""
    result = runner.invoke(app, ["people", "set", "Ada", "--tier", "bff", *cfg(populated)])
    assert result.exit_code == 2 and "[cadence] tiers" in result.output
    helped = runner.invoke(app, ["people", "set", "--help"])
    assert helped.exit_code == 0 and "[cadence] tiers" in helped.output


def test_every_help_text_survives_as_written() -> None:
    """No command's help loses a bracketed word: help is never rendered as markup."""
    from typing import Any

    import typer.main

    root: Any = typer.main.get_command(app)

    def walk(group: Any, path: list[str]) -> list[list[str]]:
        found = []
        for name, command in group.commands.items():
            found.append([*path, name])
            if hasattr(command, "commands"):
                found.extend(walk(command, [*path, name]))
        return found

    for path in walk(root, []):
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "[/]" not in result.output
    config_help = runner.invoke(app, ["report", "--help"]).output
    assert "$XDG_CONFIG_HOME/keepwarm/config.toml" in config_help


@pytest.mark.parametrize("command", ["list", "show", "set"])
def test_a_name_with_markup_in_it_is_just_a_name(populated: Path, command: str) -> None:  # noqa: F811
    """`people set … --name "Ben [/] Carter"` used to kill list/set with a MarkupError."""
    name = "Ben [/] Carter [bold]x[/bold]"
    done = runner.invoke(app, ["people", "set", "Ada Lovelace", "--name", name, *cfg(populated)])
    assert done.exit_code == 0, done.output
    args = {
        "list": ["people", "list"],
        "show": ["people", "show", "ada@example.com"],
        "set": ["people", "set", "ada@example.com", "--cadence", "20"],
    }[command]
    result = runner.invoke(app, [*args, *cfg(populated)])
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output and "[bold]" in result.output
    listed = runner.invoke(app, ["people", "list", "--json", *cfg(populated)])
    assert name in [p["name"] for p in json.loads(listed.stdout)]


def test_report_survives_a_name_with_markup(populated: Path) -> None:  # noqa: F811
    name = "Ben [/] Carter"
    assert (
        runner.invoke(
            app, ["people", "set", "Ada Lovelace", "--name", name, *cfg(populated)]
        ).exit_code
        == 0
    )
    as_json = runner.invoke(app, ["report", "--format", "json", *cfg(populated)])
    assert as_json.exit_code == 0
    assert name in [p["name"] for p in json.loads(as_json.stdout)["people"]]


def test_text_report_survives_a_name_with_markup(populated: Path) -> None:  # noqa: F811
    name = "Ben [/] Carter"
    runner.invoke(app, ["people", "set", "Ada Lovelace", "--name", name, *cfg(populated)])
    result = runner.invoke(app, ["report", *cfg(populated)], terminal_width=200)
    assert result.exit_code == 0 and name in result.output
