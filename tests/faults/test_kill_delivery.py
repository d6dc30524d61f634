"""SIGKILL the nightly run while it mails the digest to eight recipients — before a send, while
the message is handed over, and after the server accepted it but before the ledger knew —
then recover as a user would: rerun the nightly (it sends to whoever was never tried and names
the uncertain recipients), then `keepwarm report --deliver email --resend-uncertain`.
Every recipient ends with exactly one distinct message (one Message-ID per day and
recipient); a raw second copy happens only where the kill hit after the server accepted."""

from __future__ import annotations

import random
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fakes.smtp import FakeSmtp
from tests.faults.harness import environment, run
from tests.faults.test_kill_sync import ME, write_mbox

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

RECIPIENTS = [f"friend{n}@example.org" for n in range(8)]


def nightly_config(tmp: Path, port: int) -> Path:
    box = tmp / "mail.mbox"
    write_mbox(box, 300)
    to = ", ".join(f'"{r}"' for r in RECIPIENTS)
    path = tmp / "config.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp / "kw.db"}"\n\n[me]\nemails = ["{ME}"]\n\n'
        f'[[accounts]]\nname = "takeout"\nkind = "mbox"\npath = "{box}"\n\n'
        '[report]\ndeliver = ["email"]\ndelivery_attempts = 3\ndelivery_backoff_seconds = 0.01\n'
        f'email = {{ to = [{to}], sender = "keepwarm@example.com", smtp_host = "127.0.0.1", '
        f'smtp_port = {port}, starttls = false, username_env = "" }}\n',
        encoding="utf-8",
    )
    return path


def kill_points(seed: int, count: int = 10) -> list[str]:
    rng = random.Random(seed)
    kinds = ["before", "sending", "sent"]
    return [f"{kinds[n % 3]}:{rng.randrange(1, len(RECIPIENTS) + 1)}" for n in range(count)]


def test_nightly_killed_mid_send_recovers_one_copy_each(tmp_path: Path) -> None:
    tally = Counter[str]()
    with FakeSmtp() as smtp:
        smtp.recorder.delay_reply = 0.2
        config = nightly_config(tmp_path, smtp.port)
        env = environment()
        engine = create_engine(f"sqlite:///{tmp_path / 'kw.db'}")
        for trial, point in enumerate(kill_points(20261208)):
            if (tmp_path / "kw.db").exists():
                with engine.begin() as conn:  # a new day for this trial
                    conn.execute(text("DELETE FROM delivery"))
            smtp.recorder.messages.clear()
            killed = run(point, ["nightly", str(config)], env)
            assert killed.code == -signal.SIGKILL, (point, killed.stderr[-2000:])
            after_kill = Counter(str(m["To"]) for m in smtp.recorder.messages)
            tally["recipients with 0 copies after the kill"] += sum(
                1 for r in RECIPIENTS if after_kill[r] == 0
            )
            if trial % 2 == 0:
                # The nightly again: sends to whoever was never tried, names the uncertain.
                rerun = run("none", ["nightly", str(config)], env)
                assert rerun.code == 0, rerun.stderr[-2000:]
                after = Counter(str(m["To"]) for m in smtp.recorder.messages)
                zero = [r for r in RECIPIENTS if after[r] == 0]
                tally["recipients with 0 copies after the nightly rerun"] += len(zero)
                uncertain = [r for r in RECIPIENTS if f"('{r}', 'uncertain')" in rerun.stdout]
                assert set(zero) <= set(uncertain) and uncertain, (point, zero, rerun.stdout)
                assert "--resend-uncertain" in rerun.stderr, rerun.stderr[-2000:]
                tally["nightly reruns"] += 1
            resend = run(
                "none",
                ["report", "--deliver", "email", "--resend-uncertain", "--config", str(config)],
                env,
            )
            assert resend.code == 0, resend.stderr[-2000:]
            tally["recipients resent by --resend-uncertain"] += resend.stdout.count(": sent")
            copies = Counter(str(m["To"]) for m in smtp.recorder.messages)
            ids = {
                r: {str(m["Message-ID"]) for m in smtp.recorder.messages if m["To"] == r}
                for r in RECIPIENTS
            }
            assert all(copies[r] >= 1 for r in RECIPIENTS), (point, copies)
            assert all(len(ids[r]) == 1 for r in RECIPIENTS), (point, ids)
            tally["raw duplicates (same Message-ID)"] += sum(copies.values()) - len(RECIPIENTS)
            tally["kill points"] += 1
        engine.dispose()
    print(dict(tally))
    assert tally["kill points"] == 10
