"""Delivery against real loopback servers: aiosmtpd for email, an HTTP stand-in for Slack.

Exactly once per (day, channel, recipient) whatever the retries; --force resends; a
crashed run's `sending` row is reported, not resent; failures name the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from delivery.send import DeliveryError, deliver, ledger
from models.config import Config, config_from_dict
from models.schema import DeliveryRow
from models.store import Store
from tests.digest_sample import AS_OF, sample_report
from tests.fakes.slack_endpoint import FakeSlack
from tests.fakes.smtp import FakeSmtp, server_tls

NO_SLEEP: dict[str, Any] = {"sleep": lambda _s: None}


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    yield s
    s.close()


def email_config(port: int, **email: Any) -> Config:
    settings = {
        "to": ["me@example.com", "Partner@Example.org"],
        "sender": "keepwarm@example.com",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "starttls": False,
        "username_env": "",
        **email,
    }
    return config_from_dict(
        {"report": {"email": settings, "delivery_attempts": 3, "delivery_backoff_seconds": 0.0}}
    )


def slack_config(**slack: Any) -> Config:
    return config_from_dict(
        {"report": {"slack": slack, "delivery_attempts": 3, "delivery_backoff_seconds": 0.0}}
    )


def _assert_digest_email(msg: Any, to: str) -> None:
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert msg["To"] == to
    assert msg["Subject"] == "keepwarm Wed 25 Nov: Alan <Turing> & Co, Ada Lovelace and 3 more"
    assert "LOSING TOUCH\n\n* Ada Lovelace" in parts[0].get_content().replace("\r\n", "\n")
    assert "Alan &lt;Turing&gt; &amp; Co" in parts[1].get_content()


def test_email_once_per_day_and_recipient(store: Store) -> None:
    report = sample_report()
    with FakeSmtp() as smtp:
        config = email_config(smtp.port)
        first = deliver(report, config, store, ["email"], **NO_SLEEP)
        again = deliver(report, config, store, ["email"], **NO_SLEEP)
        assert [o.status for o in first] == ["sent", "sent"]
        assert [o.status for o in again] == ["already_sent", "already_sent"]
        assert len(smtp.recorder.messages) == 2
        by_to = {m["To"]: m for m in smtp.recorder.messages}
        _assert_digest_email(by_to["me@example.com"], "me@example.com")
        _assert_digest_email(by_to["Partner@Example.org"], "Partner@Example.org")
        forced = deliver(report, config, store, ["email"], force=True, **NO_SLEEP)
        assert [o.status for o in forced] == ["sent", "sent"]
        assert len(smtp.recorder.messages) == 4
    assert {r.status for r in ledger.rows(store, AS_OF)} == {"sent"}


def test_flaky_smtp_is_retried_and_delivers_one_email(store: Store) -> None:
    with FakeSmtp() as smtp:
        smtp.recorder.fail_next = 1  # 451 on the first DATA
        config = email_config(smtp.port, to="me@example.com")
        outcomes = deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        assert [(o.status, o.attempts) for o in outcomes] == [("sent", 2)]
        assert smtp.recorder.attempts == 2
        assert len(smtp.recorder.messages) == 1


def test_smtp_down_fails_loudly_and_a_later_run_sends(store: Store) -> None:
    with FakeSmtp() as smtp:
        smtp.recorder.fail_next = 3  # every attempt of the first run
        config = email_config(smtp.port, to="me@example.com")
        with pytest.raises(DeliveryError) as caught:
            deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        message = str(caught.value)
        assert "me@example.com" in message and "failed after 3 attempts" in message
        assert "Fix:" in message and "keepwarm report" in message
        assert [r.status for r in ledger.rows(store)] == ["failed"]
        outcomes = deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        assert [o.status for o in outcomes] == ["sent"]
        assert len(smtp.recorder.messages) == 1


def test_a_crashed_send_is_reported_not_resent(store: Store) -> None:
    with store.session() as session:
        session.add(
            DeliveryRow(
                report_date=AS_OF,
                channel="email",
                recipient="me@example.com",
                status="sending",
                attempts=1,
                created_at=datetime(2026, 11, 25, 6),
            )
        )
    with FakeSmtp() as smtp:
        config = email_config(smtp.port, to="me@example.com")
        outcomes = deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        assert [o.status for o in outcomes] == ["uncertain"]
        assert "--force" in outcomes[0].detail
        assert smtp.recorder.messages == []
        deliver(sample_report(), config, store, ["email"], force=True, **NO_SLEEP)
        assert len(smtp.recorder.messages) == 1


def test_starttls_with_login_from_env(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_ctx, ca_file = server_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    monkeypatch.setenv("KW_USER", "keepwarm")
    monkeypatch.setenv("KW_PASS", "s3cret")
    with FakeSmtp(starttls_context=server_ctx, credentials=("keepwarm", "s3cret")) as smtp:
        config = email_config(
            smtp.port,
            to="me@example.com",
            starttls=True,
            username_env="KW_USER",
            password_env="KW_PASS",
        )
        assert [
            o.status for o in deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        ] == ["sent"]
        assert len(smtp.recorder.messages) == 1


def test_implicit_tls(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server_ctx, ca_file = server_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    with FakeSmtp(implicit_tls_context=server_ctx) as smtp:
        config = email_config(smtp.port, to="me@example.com", ssl=True)
        deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        assert len(smtp.recorder.messages) == 1


def _blocks_ok(message: dict[str, Any]) -> None:
    assert message["text"] and 0 < len(message["blocks"]) <= 50
    for block in message["blocks"]:
        assert block["type"] in {"header", "section", "context", "divider"}
        for text in [block.get("text", {}), *block.get("elements", [])]:
            assert len(text.get("text", "")) <= 3000


def test_slack_webhook_once_and_complete(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    report = sample_report(extra=60)
    with FakeSlack() as slack:
        monkeypatch.setenv("KEEPWARM_SLACK_WEBHOOK", slack.webhook_url)
        config = slack_config()
        outcomes = deliver(report, config, store, ["slack"], **NO_SLEEP)
        assert [o.status for o in outcomes] == ["sent"]
        assert slack.webhook_url not in outcomes[0].recipient  # the URL is a secret
        deliver(report, config, store, ["slack"], **NO_SLEEP)
        posted = slack.state.posted
        assert len(posted) > 1  # split, not truncated
        for message in posted:
            _blocks_ok(message)
        everything = str(posted)
        assert all(item.name in everything for item in report.digest.items)


def test_slack_webhook_404_is_a_failure(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("KEEPWARM_SLACK_WEBHOOK", slack.base + "/hooks/removed")
        with pytest.raises(DeliveryError) as caught:
            deliver(sample_report(), slack_config(), store, ["slack"], **NO_SLEEP)
        message = str(caught.value)
        assert "HTTP 404" in message and "KEEPWARM_SLACK_WEBHOOK" in message
        assert slack.state.requests == [("/hooks/removed", 404)]  # 404 is not retried
        assert [r.status for r in ledger.rows(store)] == ["failed"]


def test_slack_429_is_retried_then_500_resumes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = sample_report(extra=60)
    with FakeSlack() as slack:
        monkeypatch.setenv("KEEPWARM_SLACK_WEBHOOK", slack.webhook_url)
        slack.state.script = [429, 200, 500]  # rate limited, part 1 ok, part 2 fails once
        outcomes = deliver(report, slack_config(), store, ["slack"], **NO_SLEEP)
        # The 429 is an attempt of the one retry layer (its Retry-After obeyed): 3 in all.
        assert outcomes[0].status == "sent" and outcomes[0].attempts == 3
        statuses = [s for _p, s in slack.state.requests]
        assert statuses[:3] == [429, 200, 500]
        texts = [m["blocks"][-1]["elements"][0]["text"] for m in slack.state.posted]
        assert texts == [f"Part {i} of {len(texts)}" for i in range(1, len(texts) + 1)]


def test_slack_bot_token_and_channel(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("KW_BOT", slack.state.token)
        config = slack_config(
            channel="#friends", bot_token_env="KW_BOT", api_url=slack.api_url, hide_addresses=True
        )
        outcomes = deliver(sample_report(), config, store, ["slack"], **NO_SLEEP)
        assert [(o.recipient, o.status) for o in outcomes] == [("#friends", "sent")]
        assert slack.state.posted[0]["channel"] == "#friends"
        _blocks_ok(slack.state.posted[0])
        assert "@example.com" not in str(slack.state.posted)
        monkeypatch.setenv("KW_BOT", "xoxb-revoked")
        with pytest.raises(DeliveryError, match="invalid_auth"):
            deliver(sample_report(), config, store, ["slack"], force=True, **NO_SLEEP)


def test_missing_settings_fail_before_anything_is_reserved(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEEPWARM_SLACK_WEBHOOK", raising=False)
    config = config_from_dict({"report": {"email": {"to": "", "sender": "kw@example.com"}}})
    with pytest.raises(DeliveryError) as caught:
        deliver(sample_report(), config, store, ["email", "slack"], **NO_SLEEP)
    message = str(caught.value)
    assert "[report.email] to" in message and "KEEPWARM_SLACK_WEBHOOK" in message
    assert ledger.rows(store) == []


def test_outcomes_serialise_for_prefect(store: Store) -> None:
    with FakeSmtp() as smtp:
        outcome = deliver(
            sample_report(),
            email_config(smtp.port, to="a@example.com"),
            store,
            ["email"],
            **NO_SLEEP,
        )[0]
    assert outcome.as_dict() == {
        "channel": "email",
        "recipient": "a@example.com",
        "status": "sent",
        "attempts": 1,
        "detail": "",
    }
    assert datetime.now(UTC)  # keep the import honest
