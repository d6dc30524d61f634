"""The morning job end to end: `nightly` syncs the sample year, builds the digest and mails it.
Run twice the same day, with the SMTP server failing the first attempt, one email arrives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.fakes.smtp import FakeSmtp

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]


def nightly_config(tmp_path: Path, port: int) -> Path:
    from samples.generate import demo_config, generate

    # The mbox connector rejects dates after the real clock, so the sample ends today.
    sample = generate(tmp_path / "data", datetime.now(UTC).date())
    text = demo_config(sample, f"sqlite:///{tmp_path / 'kw.db'}")
    text += (
        "\n[report]\n"
        'deliver = ["email"]\n'
        "delivery_attempts = 3\n"
        "delivery_backoff_seconds = 0.01\n"
        f'email = {{ to = "sam@example.com", sender = "keepwarm@example.com", '
        f'smtp_host = "127.0.0.1", smtp_port = {port}, starttls = false, username_env = "" }}\n'
    )
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_nightly_twice_sends_one_digest_despite_a_failed_attempt(tmp_path: Path) -> None:
    from flows.nightly import nightly

    with FakeSmtp() as smtp:
        smtp.recorder.fail_next = 1
        config = nightly_config(tmp_path, smtp.port)
        first = nightly(str(config))
        second = nightly(str(config))
        assert [d["status"] for d in first["delivered"]] == ["sent"]
        assert [d["status"] for d in second["delivered"]] == ["already_sent"]
        assert smtp.recorder.attempts == 2 and len(smtp.recorder.messages) == 1
        message = smtp.recorder.messages[0]
        assert message.get_content_type() == "multipart/alternative"
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "Wei Chen" in html and "kevin.marsh" not in html

        # `keepwarm report --deliver email --force` sends again; without --force it does not.
        runner = CliRunner()
        again = runner.invoke(app, ["report", "--deliver", "email", "--config", str(config)])
        assert again.exit_code == 0, again.output
        assert len(smtp.recorder.messages) == 1
        forced = runner.invoke(
            app, ["report", "--deliver", "email", "--force", "--config", str(config)]
        )
        assert forced.exit_code == 0, forced.output
        assert len(smtp.recorder.messages) == 2
