"""Gmail and Outlook on the path a user runs: a config file, `keepwarm sync` (Prefect flows,
`connectors.registry.build_connector` with each package's default options) and
`keepwarm report`, against the loopback fakes (real google/msal clients, real HTTPS)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from typer.testing import CliRunner, Result

from cli.main import app
from connectors.outlook.auth import run_auth
from connectors.outlook.settings import OutlookAccount
from tests.fakes.authority import FakeAuthority, write_ca
from tests.fakes.gmail_server import ME, FakeGmail, Generated, generate_mailbox
from tests.fakes.graph_server import FakeGraph, Spec, SyntheticCalendar

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

OWNER = "ada@firm.example"
NEWSLETTER = "newsletter@shop.example"
# The report counts contact up to the end of --as-of; the calendar's "now" is that instant,
# so its ground truth and the report agree on what is past. Yesterday keeps every generated
# event inside the connector's real-time lookback/lookahead window.
AS_OF = datetime.now(UTC).date() - timedelta(days=1)
CUTOFF = datetime.combine(AS_OF, time.max, UTC)

runner = CliRunner()


@dataclass
class Online:
    gmail: FakeGmail
    mail_truth: Generated
    graph: FakeGraph
    calendar: SyntheticCalendar
    config: Path


def _config_text(tmp: Path, gmail: FakeGmail, token: Path, outlook: OutlookAccount) -> str:
    return f"""
[store]
url = "sqlite:///{tmp / "keepwarm.db"}"

[me]
emails = ["{ME}", "{OWNER}"]

[report]
timezone = "UTC"

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
authority = "{outlook.authority}"
graph_endpoint = "{outlook.graph_endpoint}"
client_id = "{outlook.client_id}"
token_cache = "{outlook.token_cache}"
"""


@pytest.fixture
def online(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Online]:
    ca = trustme.CA()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(write_ca(ca, tmp_path / "ca.pem")))
    monkeypatch.setenv("COLUMNS", "160")  # rich: keep the sync table's rows on one line each
    authority = FakeAuthority(ca)
    graph = FakeGraph(authority, ca)
    gmail = FakeGmail(units_per_second=None).start()
    try:
        mail_truth = generate_mailbox(gmail, 300, seed=11)
        token = tmp_path / "personal.json"
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(gmail.authorized_user_info(), handle)

        authority.add_user(OWNER)
        graph.mailbox(OWNER)
        calendar = SyntheticCalendar(graph, OWNER, CUTOFF)
        calendar.generate(series=2, occurrences=6, singles=25)
        outlook = OutlookAccount(
            name="work",
            kind="outlook",
            authority=authority.authority,
            graph_endpoint=graph.endpoint,
            client_id="desktop-app",
            token_cache=str(tmp_path / "work.msal.json"),
        )
        authority.signed_in = OWNER
        run_auth(outlook, echo=lambda _msg: None)  # fills the msal cache, as `keepwarm auth`

        config = tmp_path / "config.toml"
        config.write_text(_config_text(tmp_path, gmail, token, outlook), encoding="utf-8")
        yield Online(gmail, mail_truth, graph, calendar, config)
    finally:
        gmail.stop()
        graph.close()
        authority.close()


def sync(config: Path) -> Result:
    return runner.invoke(app, ["sync", "--config", str(config)])


def rows(output: str) -> dict[str, list[str]]:
    """The printed sync table: account → its cells."""
    out: dict[str, list[str]] = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)[1:-1]]
        if cells and cells[0] in ("personal", "work"):
            out[cells[0]] = cells[1:]
    return out


def report(config: Path) -> dict[str, dict[str, Any]]:
    """email → the report's person entry."""
    args = ["report", "--format", "json", "--as-of", AS_OF.isoformat(), "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    people = json.loads(result.stdout)["people"]
    return {email: person for person in people for email in person["emails"]}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def calendar_last_contact(calendar: SyntheticCalendar) -> dict[str, datetime]:
    """From the calendar's own ground truth: each person's newest counting meeting."""
    newest: dict[str, datetime] = {}
    for truth in calendar.truth().values():
        if truth.counts:
            for person in truth.people:
                newest[person] = max(newest.get(person, truth.start), truth.start)
    return newest


def test_gmail_and_outlook_through_config_flows_and_cli(online: Online) -> None:
    first = sync(online.config)
    assert first.exit_code == 0, first.output
    table = rows(first.output)
    assert set(table) == {"personal", "work"}, first.output
    assert table["personal"][0] == "gmail" and int(table["personal"][1]) > 0
    assert table["work"][0] == "outlook" and int(table["work"][1]) > 0

    people = report(online.config)
    mail_people = {e: p for e, p in people.items() if e in online.mail_truth.expected}
    meeting_truth = calendar_last_contact(online.calendar)
    meeting_people = {e: p for e, p in people.items() if e in meeting_truth}
    assert len(mail_people) >= 5 and len(meeting_people) >= 5
    assert {p["last_contact"]["source"] for p in mail_people.values()} == {"gmail"}
    assert {p["last_contact"]["source"] for p in meeting_people.values()} == {"outlook"}
    # Every reported correspondent's last contact is the generator's intended one.
    for email, person in mail_people.items():
        expected = datetime.fromtimestamp(online.mail_truth.expected[email] // 1000, UTC)
        assert person["last_contact"]["at"] == iso(expected), email
    # Every meeting counterpart in the calendar's truth is reported, with its newest meeting.
    assert set(meeting_people) == set(meeting_truth)
    for email, person in meeting_people.items():
        assert person["last_contact"]["at"] == iso(meeting_truth[email]), email
    box = online.gmail.mailbox.messages.values()
    senders = {value for m in box for name, value in m.headers if name == "From"}
    assert any(NEWSLETTER in s for s in senders)  # it did write, often
    assert NEWSLETTER not in people

    before = online.gmail.stats.http_requests
    again = sync(online.config)
    assert again.exit_code == 0, again.output
    table = rows(again.output)
    assert table["personal"][2] == "0" and table["work"][2] == "0", again.output
    assert online.gmail.stats.http_requests - before <= 3

    # The Gmail grant is revoked; a new meeting is booked: the run fails for Gmail only.
    online.gmail.revoke()
    met = datetime.combine(AS_OF, time(20, 30), UTC)
    online.calendar.put(Spec(met, OWNER, [("newcomer@partner.example", "required", "accepted")]))
    failed = sync(online.config)
    assert failed.exit_code == 1, failed.output
    assert "keepwarm auth gmail personal" in failed.output
    table = rows(failed.output)
    assert table["work"][:3] == ["outlook", "1", "1"], failed.output
    assert "failed" in table["personal"], failed.output
    assert report(online.config)["newcomer@partner.example"]["last_contact"]["at"] == iso(met)
