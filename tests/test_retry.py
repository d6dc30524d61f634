"""The one retry layer (connectors.retry) and the operations that use it: every failure is
classified once (transient / permanent / uncertain), Retry-After is obeyed exactly, nothing
above it multiplies the attempts, and an uncertain send is recoverable per recipient."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from connectors.errors import RetriableError
from connectors.outlook.http import AppLimiter, GraphClient, mailbox_of
from connectors.retry import (
    Decision,
    GaveUp,
    Policy,
    Verdict,
    retry_after,
    run,
    status_verdict,
    tenacity_kwargs,
)
from delivery.send import deliver, ledger
from models.config import config_from_dict
from models.store import Store
from tests.digest_sample import sample_report
from tests.fakes.slack_endpoint import FakeSlack
from tests.fakes.smtp import FakeSmtp


class Boom(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def by_boom(error: BaseException) -> Decision:
    return error.decision if isinstance(error, Boom) else Decision(Verdict.PERMANENT, "other")


def failing(*decisions: Decision) -> tuple[list[int], Any]:
    calls = [0]

    def attempt() -> str:
        calls[0] += 1
        if calls[0] <= len(decisions):
            raise Boom(decisions[calls[0] - 1])
        return "ok"

    return calls, attempt


def test_the_status_table() -> None:
    assert [status_verdict(s) for s in (429, 500, 503, 504, 599, 408)] == [Verdict.TRANSIENT] * 6
    assert [status_verdict(s) for s in (400, 401, 403, 404, 410)] == [Verdict.PERMANENT] * 5
    assert retry_after("7") == 7.0 and retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412480.0 - 30) == 30.0


def test_retry_after_is_obeyed_exactly_and_backoff_otherwise() -> None:
    slept: list[float] = []
    transient = Decision(Verdict.TRANSIENT, "503")
    calls, attempt = failing(Decision(Verdict.TRANSIENT, "429", retry_after=120.0), transient)
    result, tries = run(attempt, by_boom, Policy(attempts=5, base=1, cap=4), sleep=slept.append)
    assert (result, tries, calls[0]) == ("ok", 3, 3)
    assert slept[0] == 120.0  # not capped at the backoff's 4 s
    assert 1.0 <= slept[1] <= 2.0  # second failure in a row: ceiling 2 s, full jitter


def test_permanent_fails_at_once_and_attempts_are_a_ceiling() -> None:
    calls, attempt = failing(Decision(Verdict.PERMANENT, "401"))
    with pytest.raises(GaveUp) as info:
        run(attempt, by_boom, Policy(attempts=5), sleep=lambda _s: None)
    assert (calls[0], info.value.attempts, info.value.decision.reason) == (1, 1, "401")
    calls, attempt = failing(*[Decision(Verdict.TRANSIENT, "503")] * 10)
    with pytest.raises(GaveUp) as info:
        run(attempt, by_boom, Policy(attempts=3), sleep=lambda _s: None)
    assert calls[0] == 3 and info.value.attempts == 3


def test_uncertain_is_retried_only_for_idempotent_operations() -> None:
    uncertain = Decision(Verdict.UNCERTAIN, "timeout after the request went out")
    calls, attempt = failing(uncertain)
    assert run(attempt, by_boom, Policy(), sleep=lambda _s: None) == ("ok", 2)
    calls, attempt = failing(uncertain)
    with pytest.raises(GaveUp) as info:
        run(attempt, by_boom, Policy(retry_uncertain=False), sleep=lambda _s: None)
    assert calls[0] == 1 and info.value.decision.verdict is Verdict.UNCERTAIN


def test_a_wait_longer_than_the_policy_allows_gives_up_with_the_servers_figure() -> None:
    calls, attempt = failing(Decision(Verdict.TRANSIENT, "429", retry_after=86400.0))
    with pytest.raises(GaveUp) as info:
        run(attempt, by_boom, Policy(longest_wait=900), sleep=lambda _s: None)
    assert calls[0] == 1 and info.value.decision.retry_after == 86400.0


def test_progress_restarts_the_count() -> None:
    moved = iter([True] * 5)
    _calls, attempt = failing(*[Decision(Verdict.TRANSIENT, "503")] * 5)
    result, tries = run(
        attempt, by_boom, Policy(attempts=2), sleep=lambda _s: None, progress=lambda: next(moved)
    )
    assert (result, tries) == ("ok", 6)


def test_tenacity_kwargs_plug_into_a_retrying_of_ones_own() -> None:
    from tenacity import Retrying

    slept: list[float] = []
    _calls, attempt = failing(Decision(Verdict.TRANSIENT, "429", retry_after=3.0))
    kwargs = tenacity_kwargs(by_boom, Policy(attempts=3), sleep=slept.append)
    assert Retrying(**kwargs)(attempt) == "ok" and slept == [3.0]


class Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.headers = status, headers or {}

    def json(self) -> Any:
        return {"value": []} if self.status_code == 200 else {"error": {"code": "x"}}


class Session:
    def __init__(self, *statuses: tuple[int, dict[str, str]]) -> None:
        self.script = list(statuses)
        self.urls: list[str] = []

    def get(self, url: str, headers: Any = None) -> Response:
        self.urls.append(url)
        status, extra = self.script.pop(0) if self.script else (200, {})
        return Response(status, extra)


def graph(session: Session, slept: list[float], **kw: Any) -> GraphClient:
    now = [0.0]

    def sleep(seconds: float) -> None:  # a virtual clock: waits are recorded, not slept
        slept.append(seconds)
        now[0] += seconds

    limiter = AppLimiter(clock=lambda: now[0], sleep=sleep)
    return GraphClient(
        "work",
        session,
        lambda _force: "token",
        limiter,
        sleep=slept.append,
        **kw,  # type: ignore[arg-type]
    )


def test_graph_obeys_retry_after_beyond_the_backoff_cap() -> None:
    slept: list[float] = []
    session = Session((429, {"Retry-After": "90"}), (503, {}))
    client = graph(session, slept, backoff_cap=2.0)
    assert client.get_json("https://graph.example/v1.0/me/events") == {"value": []}
    assert 90.0 in slept and len(session.urls) == 3
    with pytest.raises(RetriableError, match="asks to wait 7200 s"):
        graph(Session((429, {"Retry-After": "7200"})), []).get_json("https://g.example/me")


def test_graph_permanent_answers_are_not_retried() -> None:
    session = Session((404, {}))
    with pytest.raises(Exception, match="Graph answered 404"):
        graph(session, []).get_json("https://graph.example/v1.0/me/x")
    assert len(session.urls) == 1


def test_graph_mailbox_budget_is_kept_per_mailbox() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = AppLimiter(per_mailbox=3, period=600, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        with limiter.slot("users/ada@firm.example"):
            pass
    with limiter.slot("users/bo@firm.example"):  # another mailbox: its own budget
        pass
    assert waits == []
    with limiter.slot("users/ada@firm.example"):
        pass
    assert waits == [600.0] and limiter.budget_waits == 1
    assert (
        mailbox_of("https://graph.microsoft.com/v1.0/users/Ada%40firm.example/calendarView/delta?x")
        == "users/ada@firm.example"
    )
    assert mailbox_of("https://graph.microsoft.com/v1.0/me/calendarView/delta") == "me"


def test_no_prefect_task_retries_on_top() -> None:
    from flows.nightly import deliver_task
    from flows.sync import sync_account_task

    assert deliver_task.retries == 0 and sync_account_task.retries == 0


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    yield s
    s.close()


def smtp_config(port: int, to: list[str]) -> Any:
    return config_from_dict(
        {
            "report": {
                "email": {
                    "to": to,
                    "sender": "keepwarm@example.com",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "starttls": False,
                    "username_env": "",
                },
                "delivery_attempts": 3,
                "delivery_backoff_seconds": 0.0,
            }
        }
    )


def test_a_send_whose_reply_never_came_is_uncertain_and_resent_alone(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("delivery.send.email.TIMEOUT_SECONDS", 0.5)
    report = sample_report()
    with FakeSmtp() as smtp:
        config = smtp_config(smtp.port, ["a@example.com", "b@example.com"])
        smtp.recorder.delay_reply = 2.0  # a accepted, its reply lost: a timeout
        with caplog.at_level(logging.WARNING):
            first = deliver(report, config, store, ["email"], sleep=lambda _s: None)
        smtp.recorder.delay_reply = 0.0
        statuses = {o.recipient: o.status for o in first}
        assert statuses == {"a@example.com": "uncertain", "b@example.com": "uncertain"}
        assert smtp.recorder.attempts == 2  # one attempt each: never resent blindly
        assert "--resend-uncertain" in first[0].detail and "a@example.com" in caplog.text
        assert {r.status for r in ledger.rows(store)} == {"uncertain"}
        plain = deliver(report, config, store, ["email"], sleep=lambda _s: None)
        assert [o.status for o in plain] == ["uncertain", "uncertain"]
        assert smtp.recorder.attempts == 2
        again = deliver(report, config, store, ["email"], resend_uncertain=True)
        assert [o.status for o in again] == ["sent", "sent"]
        once_more = deliver(report, config, store, ["email"], resend_uncertain=True)
        assert [o.status for o in once_more] == ["already_sent", "already_sent"]
        assert smtp.recorder.attempts == 4
    assert date(2000, 1, 1) < report.as_of


def test_slack_sdk_never_logs_the_webhook_or_the_digest(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeSlack() as slack:
        monkeypatch.setenv("KEEPWARM_SLACK_WEBHOOK", slack.webhook_url)
        config = config_from_dict({"report": {"delivery_backoff_seconds": 0.0}})
        root = logging.getLogger()
        monkeypatch.setattr(root, "level", logging.DEBUG)
        with caplog.at_level(logging.DEBUG):
            deliver(sample_report(), config, store, ["slack"], sleep=lambda _s: None)
        assert slack.state.posted
    secret = slack.webhook_url.split("/hooks/", 1)[-1]
    assert secret not in caplog.text and "Ada Lovelace" not in caplog.text
    assert requests  # imported for the Graph stubs' types
