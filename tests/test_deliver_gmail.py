"""Email delivery through the Gmail API and a refused SMTP login, against loopback fakes.

The real google-api-python-client and google-auth talk to FakeGmail (its own token
endpoint included); SMTP goes to aiosmtpd. Once per (day, recipient) via the ledger,
`force` resends, and a dead grant or a wrong password fails at once, saying what to run.
"""

from __future__ import annotations

import email
import json
import os
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from delivery.send import DeliveryError, deliver, ledger
from models.config import Config, config_from_dict
from models.store import Store
from tests.digest_sample import AS_OF, sample_report
from tests.fakes.gmail_server import FakeGmail
from tests.fakes.smtp import FakeSmtp, server_tls

NO_SLEEP: dict[str, Any] = {"sleep": lambda _s: None}
ACCOUNT = "personal"
SEND_AUTH = f"`keepwarm auth gmail {ACCOUNT} --send`"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    yield s
    s.close()


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with FakeGmail("me@example.com") as fake:
        yield fake


def write_token(path: Path, info: dict[str, Any]) -> Path:
    """The token file as `keepwarm auth gmail` leaves it: owner-only from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    return path


def gmail_config(fake: FakeGmail, token_file: Path, **email_settings: Any) -> Config:
    settings = {
        "via": "gmail",
        "gmail_account": ACCOUNT,
        "to": ["me@example.com", "Partner@Example.org"],
        "sender": "me@example.com",
        **email_settings,
    }
    account = {
        "name": ACCOUNT,
        "kind": "gmail",
        "address": "me@example.com",
        "api_endpoint": fake.endpoint,
        "token_file": str(token_file),
    }
    return config_from_dict(
        {
            "accounts": [account],
            "report": {"email": settings, "delivery_attempts": 3, "delivery_backoff_seconds": 0.0},
        }
    )


def sent(fake: FakeGmail) -> list[EmailMessage]:
    """What users.messages.send received (the fake base64url-decodes `raw`), parsed."""
    out = []
    for raw in fake.mailbox.sent_raw:
        msg = email.message_from_bytes(raw, policy=default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def assert_digest(msg: EmailMessage, to: str) -> None:
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert msg["To"] == to
    assert msg["From"] == "me@example.com"
    assert msg["X-Keepwarm-Report-Date"] == AS_OF.isoformat()
    assert msg["Subject"] == "keepwarm Wed 25 Nov: Alan <Turing> & Co, Ada Lovelace and 3 more"
    text, html = (p.get_content() for p in parts)
    assert "LOSING TOUCH\n\n* Ada Lovelace" in text
    assert "Alan &lt;Turing&gt; &amp; Co" in html


def test_gmail_once_per_day_and_recipient_then_force(
    store: Store, gmail: FakeGmail, tmp_path: Path
) -> None:
    # A stale access token: the first call refreshes it at the file's own token_uri.
    token = write_token(tmp_path / "gmail.json", gmail.authorized_user_info(expired=True))
    config = gmail_config(gmail, token)
    report = sample_report()

    first = deliver(report, config, store, ["email"], **NO_SLEEP)
    assert [(o.recipient, o.status) for o in first] == [
        ("me@example.com", "sent"),
        ("partner@example.org", "sent"),
    ]
    assert gmail.stats.refreshes >= 1
    assert gmail.stats.calls["messages.send"] == 2
    by_to = {m["To"]: m for m in sent(gmail)}
    assert sorted(by_to) == ["Partner@Example.org", "me@example.com"]
    assert_digest(by_to["me@example.com"], "me@example.com")
    assert_digest(by_to["Partner@Example.org"], "Partner@Example.org")

    again = deliver(report, config, store, ["email"], **NO_SLEEP)
    assert [o.status for o in again] == ["already_sent", "already_sent"]
    assert all("--force" in o.detail for o in again)
    assert len(gmail.mailbox.sent_raw) == 2

    forced = deliver(report, config, store, ["email"], force=True, **NO_SLEEP)
    assert [o.status for o in forced] == ["sent", "sent"]
    assert sorted(m["To"] for m in sent(gmail)[2:]) == ["Partner@Example.org", "me@example.com"]
    assert {(r.recipient, r.status) for r in ledger.rows(store, AS_OF)} == {
        ("me@example.com", "sent"),
        ("partner@example.org", "sent"),
    }


def assert_names_the_send_grant(message: str) -> None:
    assert f"account {ACCOUNT!r}" in message
    assert SEND_AUTH in message
    # Plain `keepwarm auth gmail <account>` would re-grant reading only: never suggest it.
    assert f"`keepwarm auth gmail {ACCOUNT}`" not in message


@pytest.mark.parametrize("stale_token", [True, False], ids=["refresh-refused", "401-then-refused"])
def test_revoked_grant_fails_loudly_naming_the_send_reauth(
    store: Store, gmail: FakeGmail, tmp_path: Path, stale_token: bool
) -> None:
    token = write_token(tmp_path / "gmail.json", gmail.authorized_user_info(expired=stale_token))
    gmail.revoke()  # refresh now answers invalid_grant; live access tokens answer 401
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        deliver(sample_report(), gmail_config(gmail, token), store, ["email"], **NO_SLEEP)
    assert time.monotonic() - started < 20  # a hang would wait out 30 s timeouts
    message = str(caught.value)
    assert "invalid_grant" in message and "failed after 1 attempt:" in message
    assert_names_the_send_grant(message)
    assert "keepwarm report --deliver email" in message
    assert [(o.status, o.attempts) for o in caught.value.failures] == [("failed", 1)] * 2
    assert gmail.mailbox.sent_raw == []
    assert gmail.stats.calls["messages.send"] == 0
    assert [r.status for r in ledger.rows(store)] == ["failed", "failed"]


def test_missing_token_file_fails_before_anything_is_reserved(
    store: Store, gmail: FakeGmail, tmp_path: Path
) -> None:
    config = gmail_config(gmail, tmp_path / "never-authorized.json", to="me@example.com")
    with pytest.raises(DeliveryError) as caught:
        deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
    message = str(caught.value)
    assert "no token file" in message
    assert_names_the_send_grant(message)
    assert ledger.rows(store) == []


def test_unknown_gmail_account_is_a_delivery_config_error(
    store: Store, gmail: FakeGmail, tmp_path: Path
) -> None:
    token = write_token(tmp_path / "gmail.json", gmail.authorized_user_info())
    config = gmail_config(gmail, token, gmail_account="persnal")
    with pytest.raises(DeliveryError) as caught:
        deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
    message = str(caught.value)
    assert "gmail_account" in message and "'persnal'" in message and ACCOUNT in message
    assert ledger.rows(store) == []


def test_smtp_wrong_password_fails_fast_without_retries(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_ctx, ca_file = server_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    monkeypatch.setenv("KW_USER", "keepwarm")
    monkeypatch.setenv("KW_PASS", "not-the-password")
    with FakeSmtp(starttls_context=server_ctx, credentials=("keepwarm", "s3cret")) as smtp:
        config = config_from_dict(
            {
                "report": {
                    "email": {
                        "to": "me@example.com",
                        "sender": "keepwarm@example.com",
                        "smtp_host": "127.0.0.1",
                        "smtp_port": smtp.port,
                        "starttls": True,
                        "username_env": "KW_USER",
                        "password_env": "KW_PASS",
                    },
                    "delivery_attempts": 3,
                    "delivery_backoff_seconds": 0.0,
                }
            }
        )
        started = time.monotonic()
        with pytest.raises(DeliveryError) as caught:
            deliver(sample_report(), config, store, ["email"], **NO_SLEEP)
        elapsed = time.monotonic() - started
        logins = list(smtp.recorder.logins)
        assert smtp.recorder.messages == []
    assert elapsed < 20, f"a refused login took {elapsed:.1f}s (waiting for a reply?)"
    # One login() on one connection: smtplib tries each advertised mechanism once.
    assert logins and len(logins) <= 2 and not any(ok for _m, ok in logins)
    message = str(caught.value)
    assert "failed after 1 attempt:" in message
    assert f"SMTP 127.0.0.1:{smtp.port}: login refused (535)" in message
    assert "$KW_USER" in message and "$KW_PASS" in message and "Fix:" in message
    assert "not-the-password" not in message
    assert [(r.status, r.attempts) for r in ledger.rows(store)] == [("failed", 1)]
