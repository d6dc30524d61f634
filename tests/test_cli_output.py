"""Issue 10 items 5 and 8 (CLI side): only the requested format goes to stdout, `--limit` is
checked, `--version`, `-h`, help for positional arguments, formats in any case, the date format
in `--as-of` help, one name for the demo's day (`--as-of`, `--today` kept hidden), and
`report --deliver` fails in one line without Prefect's warning or a second ERROR line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from tests.test_cli import populated  # noqa: F401  (fixture)

runner = CliRunner()
BIN = Path(sys.executable).parent


def test_demo_json_on_stdout_is_valid_json(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(BIN / "keepwarm"),
            "demo",
            "--dir",
            str(tmp_path),
            "--format",
            "JSON",
            "--as-of",
            "2026-11-20",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)  # the status and the sync table went to stderr
    assert report["as_of"] == "2026-11-20" and report["people"]
    assert "sync" in done.stderr


def test_demo_and_report_share_the_as_of_name() -> None:
    demo_help = runner.invoke(app, ["demo", "--help"]).output
    report_help = runner.invoke(app, ["report", "--help"]).output
    assert "--as-of" in demo_help and "--as-of" in report_help
    assert "--today" not in demo_help  # the old name still works, hidden
    assert "YYYY-MM-DD" in demo_help and "YYYY-MM-DD" in report_help


def test_limit_must_be_positive(populated: Path) -> None:  # noqa: F811
    for bad in ("-3", "0"):
        result = runner.invoke(app, ["report", "--limit", bad, "--config", str(populated)])
        assert result.exit_code == 2, result.output
        assert "--limit" in result.output
    ok = runner.invoke(
        app, ["report", "--limit", "1", "--format", "json", "--config", str(populated)]
    )
    assert ok.exit_code == 0 and len(json.loads(ok.stdout)["people"]) == 1


def test_formats_are_case_insensitive(populated: Path) -> None:  # noqa: F811
    result = runner.invoke(app, ["report", "--format", "Json", "--config", str(populated)])
    assert result.exit_code == 0 and json.loads(result.stdout)["people"]
    bad = runner.invoke(app, ["report", "--format", "yaml", "--config", str(populated)])
    assert bad.exit_code == 2 and "text, markdown" in bad.output


def test_version_and_short_help() -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("keepwarm ")
    for args in (["-h"], ["people", "-h"], ["report", "-h"], ["people", "snooze", "-h"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output, args


def test_positional_arguments_have_help() -> None:
    for args, words in (
        (["people", "show", "--help"], ["PERSON", "id prefix"]),
        (["people", "merge", "--help"], ["KEEP", "OTHER", "merged into KEEP"]),
        (["people", "split", "--help"], ["IDENTITY", "email or phone"]),
        (["auth", "gmail", "--help"], ["ACCOUNT"]),
    ):
        output = runner.invoke(app, args).output
        for word in words:
            assert word in output, (args, word, output)


def test_deliver_failure_is_one_line_without_prefect(populated: Path) -> None:  # noqa: F811
    code = (
        "import sys\n"
        "from cli.main import app\n"
        f"try:\n    app(['report', '--deliver', 'email', '--config', {str(populated)!r}])\n"
        "except SystemExit as exc:\n    print('exit', exc.code)\n"
        "print('PREFECT' if 'prefect' in sys.modules else 'NO-PREFECT')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # No recipient configured: a config mistake (exit 2), named in one line, before any send.
    assert done.stdout.split() == ["exit", "2", "NO-PREFECT"], done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: email delivery:"), done.stderr
    assert "nobody to email the digest to" in lines[0]
    assert "Warning" not in done.stderr and "ERROR" not in done.stderr


def test_a_cut_table_says_how_many_there_are_and_marks_what_you_did(
    populated: Path,  # noqa: F811
) -> None:
    args = ["--config", str(populated)]
    full = json.loads(runner.invoke(app, ["report", "--format", "json", *args]).stdout)
    assert len(full["people"]) == 2
    top = full["people"][0]["name"]
    assert runner.invoke(app, ["people", "snooze", top, "--for", "5", *args]).exit_code == 0
    for fmt in ("text", "markdown"):
        shown = runner.invoke(app, ["report", "--limit", "1", "--format", fmt, *args]).stdout
        assert "1 of 2 people tracked" in shown, shown
        assert "snoozed" in shown, shown
        assert all(line == line.rstrip() for line in shown.splitlines()), fmt
    # The mail shows no table: it counts everyone, however many rows the table would hold.
    html = runner.invoke(app, ["report", "--limit", "1", "--format", "html", *args]).stdout
    assert "2 people tracked" in html and "1 of 2" not in html


def test_a_send_that_fails_after_its_retries_is_a_failed_run(populated: Path) -> None:  # noqa: F811
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = populated.read_text(encoding="utf-8")
    populated.write_text(
        text + f'[report.email]\nto = "me@example.com"\nsmtp_host = "127.0.0.1"\n'
        f"smtp_port = {port}\nstarttls = false\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["report", "--deliver", "email", "--config", str(populated)])
    assert result.exit_code == 1, result.output
    assert "delivery failed" in result.output and "after 3 attempts" in result.output
    assert result.output.count("still available") == 1, result.output
