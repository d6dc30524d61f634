"""Sync (Gmail, Outlook delegated and app mode) and deliver (SMTP with a password, a Slack
webhook) at DEBUG logging — Prefect's and the root logger's — against the fakes, then look for
every secret everywhere it could leak: stdout, stderr, the logs Prefect's API stored, and the
store's files. Tokens stay 0600 (issue 11, "Secrets")."""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.faults.harness import environment, run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

ME = "me@example.com"
OWNER = "ada@firm.example"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from connectors.outlook.auth import run_auth
    from connectors.outlook.settings import OutlookAccount
    from tests.fakes.authority import FakeAuthority, write_ca
    from tests.fakes.gmail_server import FakeGmail, generate_mailbox
    from tests.fakes.graph_server import FakeGraph, SyntheticCalendar
    from tests.fakes.slack_endpoint import FakeSlack
    from tests.fakes.smtp import FakeSmtp, server_tls

    ca = trustme.CA()
    bundle = write_ca(ca, tmp_path / "ca.pem")
    graph_secret = "graph-secret-" + secrets.token_hex(12)
    smtp_password = "smtp-pass-" + secrets.token_hex(12)
    authority = FakeAuthority(ca, client_secrets={"org-app": graph_secret})
    graph = FakeGraph(authority, ca)
    gmail = FakeGmail(units_per_second=None)
    gmail.client_secret = "gmail-secret-" + secrets.token_hex(12)
    gmail.start()
    (tmp_path / "smtp").mkdir()
    server_ctx, smtp_ca = server_tls(tmp_path / "smtp")
    smtp = FakeSmtp(starttls_context=server_ctx, credentials=("keepwarm", smtp_password))
    slack = FakeSlack()
    smtp.__enter__()
    slack.__enter__()
    try:
        generate_mailbox(gmail, 200, seed=3)
        info = gmail.authorized_user_info(expired=True)  # the sync refreshes it: a new token
        token = tmp_path / "tokens" / "personal.json"
        token.parent.mkdir(mode=0o700)
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(info, handle)
        authority.add_user(OWNER)
        graph.mailbox(OWNER)
        now = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time.max, UTC)
        SyntheticCalendar(graph, OWNER, now).generate(series=2, occurrences=5, singles=20)
        cache = tmp_path / "tokens" / "work.msal.json"
        account = OutlookAccount(
            name="work",
            kind="outlook",
            authority=authority.authority,
            graph_endpoint=graph.endpoint,
            client_id="desktop-app",
            token_cache=str(cache),
        )
        authority.signed_in = OWNER
        os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
        try:
            run_auth(account, echo=lambda _msg: None)
        finally:
            del os.environ["REQUESTS_CA_BUNDLE"]
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[store]
url = "sqlite:///{tmp_path / "kw.db"}"

[me]
emails = ["{ME}", "{OWNER}"]

[[accounts]]
name = "personal"
kind = "gmail"
address = "{ME}"
api_endpoint = "{gmail.endpoint}"
token_file = "{token}"
quota = {{ units_per_second = 10000000.0 }}

[[accounts]]
name = "work"
kind = "outlook"
authority = "{authority.authority}"
graph_endpoint = "{graph.endpoint}"
client_id = "desktop-app"
token_cache = "{cache}"

[[accounts]]
name = "org"
kind = "outlook"
mode = "app"
authority = "{authority.url}/common"
tenant_id = "{authority.tenant}"
graph_endpoint = "{graph.endpoint}"
client_id = "org-app"
client_secret_env = "KW_GRAPH_SECRET"
users = ["{OWNER}"]

[report]
deliver = ["email", "slack"]
delivery_backoff_seconds = 0.0

[report.email]
to = "{ME}"
sender = "keepwarm@example.com"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = true
username_env = "KW_SMTP_USER"
password_env = "KW_SMTP_PASSWORD"
""",
            encoding="utf-8",
        )
        yield {
            "config": config,
            "tmp": tmp_path,
            "token": token,
            "cache": cache,
            "gmail": gmail,
            "slack": slack,
            "smtp": smtp,
            "env": {
                "REQUESTS_CA_BUNDLE": str(bundle),
                "SSL_CERT_FILE": smtp_ca,
                "KW_GRAPH_SECRET": graph_secret,
                "KW_SMTP_USER": "keepwarm",
                "KW_SMTP_PASSWORD": smtp_password,
                "KEEPWARM_SLACK_WEBHOOK": slack.webhook_url,
            },
            "secrets": {
                "Gmail refresh token": info["refresh_token"],
                "Gmail access token": info["token"],
                "Gmail client secret": gmail.client_secret,
                "Graph client secret": graph_secret,
                "SMTP password": smtp_password,
                "Slack webhook": slack.webhook_url.split("//", 1)[1].split("/", 1)[1],
            },
        }
    finally:
        slack.__exit__(None, None, None)
        smtp.__exit__(None, None, None)
        gmail.stop()
        graph.close()
        authority.close()


def prefect_logs() -> str:
    """Every log line Prefect's API stored (the test session's server)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import LogSort

    with get_client(sync_client=True) as client:
        logs = client.read_logs(limit=200, sort=LogSort.TIMESTAMP_DESC)
        more = list(logs)
        offset = 200
        while len(logs) == 200 and offset < 20_000:
            logs = client.read_logs(limit=200, offset=offset, sort=LogSort.TIMESTAMP_DESC)
            more.extend(logs)
            offset += 200
    return "\n".join(log.message for log in more)


def live_tokens(world: dict[str, Any]) -> dict[str, str]:
    """The tokens as they are after the runs (refreshed ones included)."""
    found = {}
    saved = json.loads(world["token"].read_text())
    found["Gmail access token (refreshed)"] = saved["token"]
    cache = json.loads(world["cache"].read_text())
    for section in ("AccessToken", "RefreshToken"):
        for n, entry in enumerate((cache.get(section) or {}).values()):
            found[f"Graph {section} {n}"] = entry["secret"]
    return found


def test_no_secret_reaches_logs_output_or_store(world: dict[str, Any]) -> None:
    env = environment(
        {
            **world["env"],
            "PREFECT_LOGGING_LEVEL": "DEBUG",
            "PREFECT_LOGGING_ROOT_LEVEL": "DEBUG",
            "PREFECT_LOGGING_TO_API_LEVEL": "DEBUG",
        }
    )
    config = str(world["config"])
    sync = run("none", ["sync", "--config", config], env)
    assert sync.code == 0, sync.stderr[-3000:]
    deliver = run(
        "none", ["report", "--deliver", "email", "--deliver", "slack", "--config", config], env
    )
    assert deliver.code == 0, deliver.stderr[-3000:]
    assert world["smtp"].recorder.messages and world["slack"].state.posted
    assert len(sync.stderr) > 1000, "DEBUG logging was not on"
    wanted = {**world["secrets"], **live_tokens(world)}
    tmp = world["tmp"]
    places = {
        "stdout": sync.stdout + deliver.stdout,
        "stderr": sync.stderr + deliver.stderr,
        "Prefect logs": prefect_logs(),
        "store": b"".join(p.read_bytes() for p in tmp.glob("kw.db*")).decode("latin-1"),
    }
    hits = [
        (name, place)
        for name, value in wanted.items()
        for place, text in places.items()
        if value and value in text
    ]
    assert hits == [], hits
    print(f"secret scan: {len(wanted)} secrets × {len(places)} places, 0 hits")
    for path in (world["token"], world["cache"]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_store_file_is_0600(world: dict[str, Any]) -> None:
    env = environment(world["env"])
    assert run("none", ["sync", "--config", str(world["config"])], env).code == 0
    assert stat.S_IMODE((world["tmp"] / "kw.db").stat().st_mode) == 0o600
