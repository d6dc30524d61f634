"""Gmail + Google Calendar + Google Contacts on ONE token file, on the path a user runs: a config
file, `keepwarm sync` (Prefect flows, each source's default build options) and `keepwarm
report`, against the loopback fakes sharing one OAuth server (real google-api-python-client and
google-auth). The report's last contacts, planned meetings and tiers match the fakes' truth."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from tests.fakes.gmail_server import ME, Generated, generate_mailbox
from tests.fakes.google_calendar import CALENDAR_READONLY, FakeCalendar
from tests.fakes.google_calendar_data import CalendarTruth, generate_calendar
from tests.fakes.google_oauth import GoogleOAuth
from tests.fakes.google_people import CONTACTS_READONLY, FakePeople
from tests.fakes.google_people_data import TIER_GROUPS, ContactsTruth, generate_contacts
from tests.fakes.google_world import SharedGmail, write_token

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
AS_OF = datetime.now(UTC).date() - timedelta(days=1)
CUTOFF = datetime.combine(AS_OF, time.max, UTC)
ACCOUNTS = ("personal", "personal-calendar", "personal-contacts")
runner = CliRunner()


@dataclass
class Google:
    oauth: GoogleOAuth
    gmail: SharedGmail
    calendar: FakeCalendar
    people: FakePeople
    mail: Generated
    meetings: CalendarTruth
    contacts: ContactsTruth
    token: Path
    config: Path


def _config(tmp: Path, g: Any, token: Path) -> str:
    tiers = ", ".join(f'"{name}" = {days}' for name, days in
                      zip(TIER_GROUPS, (14, 30, 180), strict=True))  # fmt: skip
    return f"""
[store]
url = "sqlite:///{tmp / "keepwarm.db"}"

[me]
emails = ["{ME}"]

[report]
timezone = "UTC"

[cadence]
tiers = {{ {tiers} }}

[[accounts]]
name = "personal"
kind = "gmail"
address = "{ME}"
api_endpoint = "{g.gmail.endpoint}"
token_file = "{token}"
quota = {{ units_per_second = 10000000.0 }}

[[accounts]]
name = "personal-calendar"
kind = "gcal"
token_file = "{token}"
api_endpoint = "{g.calendar.root_url}"
calendars = ["primary"]

[[accounts]]
name = "personal-contacts"
kind = "gcontacts"
token_file = "{token}"
api_endpoint = "{g.people.root_url}"
"""


@pytest.fixture
def google(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Google]:
    monkeypatch.setenv("COLUMNS", "160")
    oauth = GoogleOAuth()
    calendar = FakeCalendar(oauth=oauth).start()  # first: it serves the shared /token
    people = FakePeople(oauth=oauth).start()
    gmail = SharedGmail(oauth, units_per_second=None).start()
    try:
        mail = generate_mailbox(gmail, 250, seed=5)
        meetings = generate_calendar(calendar, years=2, events=400, seed=5)
        contacts = generate_contacts(people, 30, people=meetings.people[:30])
        oauth.ensure_grant(ME, [GMAIL_METADATA, CALENDAR_READONLY, CONTACTS_READONLY])
        token = write_token(
            tmp_path / "tokens" / "google.json", oauth.authorized_user_info(user=ME)
        )
        config = tmp_path / "config.toml"
        parts = type("G", (), {"gmail": gmail, "calendar": calendar, "people": people})
        config.write_text(_config(tmp_path, parts, token), encoding="utf-8")
        yield Google(oauth, gmail, calendar, people, mail, meetings, contacts, token, config)
    finally:
        gmail.stop()
        people.stop()
        calendar.stop()


def sync(config: Path) -> Result:
    return runner.invoke(app, ["sync", "--config", str(config)])


def rows(output: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)[1:-1]]
        if cells and cells[0] in ACCOUNTS:
            out[cells[0]] = cells[1:]
    return out


def report(config: Path) -> dict[str, dict[str, Any]]:
    args = ["report", "--format", "json", "--as-of", AS_OF.isoformat(), "--config", str(config)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return {e: p for p in json.loads(result.stdout)["people"] for e in p["emails"]}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_gmail_calendar_and_contacts_on_one_grant(google: Google) -> None:
    first = sync(google.config)
    assert first.exit_code == 0, first.output
    table = rows(first.output)
    assert set(table) == set(ACCOUNTS), first.output
    assert [table[a][0] for a in ACCOUNTS] == ["gmail", "gcal", "gcontacts"]
    assert int(table["personal-contacts"][5]) == len(google.contacts.contacts)  # cards

    people = report(google.config)
    # Last contact: the newer of the mailbox's and the calendar's truth, per person.
    expected: dict[str, datetime] = {
        email: datetime.fromtimestamp(ms // 1000, UTC) for email, ms in google.mail.expected.items()
    }
    for email, start in google.meetings.last_meeting(as_of=CUTOFF).items():
        expected[email] = max(expected.get(email, start), start)
    meeting_people = google.meetings.last_meeting(as_of=CUTOFF)
    assert set(meeting_people) <= set(people)  # everyone you met is a person
    # (a correspondent who only ever wrote to you is not: DESIGN.md). A person may hold several
    # addresses (a contact card with two, or two cards sharing a phone): their newest contact.
    checked = 0
    for person in {p["id"]: p for p in people.values()}.values():
        times = [expected[e] for e in person["emails"] if e in expected]
        if times:
            assert person["last_contact"]["at"] == iso(max(times)), person["emails"]
            checked += 1
    assert checked > 40
    sources = {people[e]["last_contact"]["source"] for e in meeting_people}
    assert "gcal" in sources
    # Planned meetings (the calendar's future) set next_planned_at.
    for email, when in google.meetings.next_meeting(as_of=CUTOFF).items():
        if email in people and len(people[email]["emails"]) == 1:
            assert people[email]["next_planned_at"] == iso(when), email
    # Contact groups are tiers, as vCard categories would be.
    for email, tier in google.contacts.tiers().items():
        group = next(g for g, t in TIER_GROUPS.items() if t == tier)
        assert people[email]["tier"] == group, email
    # Nobody only in a big, declined-by-them or omitted meeting became a person.
    invited = {a for _, a in google.meetings.people}
    carded = {e for c in google.contacts.contacts.values() for e in c.emails}
    strangers = invited - set(meeting_people) - carded - set(google.mail.expected)
    assert strangers and not (strangers & set(people))

    # Nightly with nothing new: one events.list for the one calendar, two People requests.
    google.calendar.stats.reset()
    google.people.stats.reset()
    again = sync(google.config)
    assert again.exit_code == 0, again.output
    assert dict(google.calendar.stats.attempts) == {"events.list": 1}
    assert dict(google.people.stats.attempts) == {
        "contactGroups.list": 1,
        "people.connections.list": 1,
    }
    assert all(rows(again.output)[a][2] == "0" for a in ACCOUNTS), again.output

    # A token granted before Contacts was added: only the contacts account fails, naming the fix.
    info = json.loads(google.token.read_text())
    write_token(google.token, info | {"scopes": [GMAIL_METADATA, CALENDAR_READONLY]})
    failed = sync(google.config)
    assert failed.exit_code == 1, failed.output
    # It is caught before the sync starts (the token file says which scopes it holds), and
    # the accounts the token does serve still sync.
    assert (
        "error: account 'personal-contacts': the token does not grant contacts.readonly; "
        "run `keepwarm auth google personal-contacts`"
    ) in failed.output.replace("\n", " ").replace("  ", " ")
    table = rows(failed.output)
    assert "personal-contacts" not in table
    assert table["personal"][0] == "gmail" and table["personal-calendar"][0] == "gcal"
