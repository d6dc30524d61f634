"""`keepwarm auth google ACCOUNT` (alias `auth gmail`): one consent for every Google account that
shares a token file, against the fake consent and token endpoints; the URL is always printed;
`--no-browser` takes the pasted redirect address; the token is 0600 and serves all three."""

from __future__ import annotations

import json
import re
import stat
import threading
import urllib.request
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from cli.main import app
from connectors.base import Me
from connectors.common.google_account import (
    CALENDAR_READONLY,
    CONTACTS_READONLY,
    GMAIL_METADATA,
    GMAIL_SEND,
)
from connectors.common.google_login import login, sharing, wanted_scopes
from connectors.errors import FatalError
from connectors.gcal.connector import GcalConnector
from connectors.gcontacts.connector import GcontactsConnector
from connectors.source import AuthRequest
from models.config import load_config
from tests.fakes.google_calendar import FakeCalendar
from tests.fakes.google_oauth import GoogleOAuth
from tests.fakes.google_people import FakePeople

ME = "me@example.com"
runner = CliRunner()


class Browser:
    """Stands in for the user: opens the consent URL, which redirects back to the flow."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        self.opened.append(url)
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()).start()
        return True


class World:
    def __init__(self, tmp: Path) -> None:
        self.oauth = GoogleOAuth()
        self.calendar = FakeCalendar(oauth=self.oauth, scopes=[]).start()
        self.people = FakePeople(oauth=self.oauth, scopes=[]).start()
        self.tmp = tmp
        self.secrets = tmp / "client.json"
        self.secrets.write_text(json.dumps(self.calendar.client_secrets()))
        self.token = tmp / "tokens" / "google.json"
        self.config = tmp / "config.toml"
        self.config.write_text(
            f"""
[me]
emails = ["{ME}"]

[[accounts]]
name = "personal"
kind = "gmail"
address = "{ME}"
token_file = "{self.token}"
client_secrets_file = "{self.secrets}"

[[accounts]]
name = "personal-calendar"
kind = "gcal"
token_file = "{self.token}"
api_endpoint = "{self.calendar.root_url}"

[[accounts]]
name = "personal-contacts"
kind = "gcontacts"
token_file = "{self.token}"
api_endpoint = "{self.people.root_url}"

[[accounts]]
name = "other"
kind = "gcal"
token_file = "{tmp / "other.json"}"

[[accounts]]
name = "phone"
kind = "vcard"
path = "{tmp / "x.vcf"}"
""",
            encoding="utf-8",
        )

    def close(self) -> None:
        self.calendar.stop()
        self.people.stop()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fakes are plain-http loopback
    w = World(tmp_path)
    yield w
    w.close()


def test_one_consent_for_every_account_sharing_the_token(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser()
    monkeypatch.setattr(webbrowser, "get", lambda *a, **k: browser)
    # Any of the three names the grant; the command is `auth google` (or its alias).
    result = runner.invoke(
        app, ["auth", "google", "personal-calendar", "--config", str(world.config)]
    )
    assert result.exit_code == 0, result.output
    assert "personal-calendar, personal, personal-contacts" in result.output
    assert "A browser window should have opened; if not, open this URL" in result.output
    assert browser.opened[0] in result.output.replace("\n", "")
    asked = set(re.search(r"scope=([^&]+)", browser.opened[0])[1].replace("+", " ").replace(
        "%2F", "/").replace("%3A", ":").split())  # fmt: skip
    assert asked == {GMAIL_METADATA, CALENDAR_READONLY, CONTACTS_READONLY}
    assert "prompt=consent" in browser.opened[0] and "access_type=offline" in browser.opened[0]
    assert stat.S_IMODE(world.token.stat().st_mode) == 0o600
    saved = json.loads(world.token.read_text())
    assert set(saved["scopes"]) == asked and saved["token_uri"] == world.calendar.token_uri
    assert world.oauth.stats.code_exchanges == 1

    # The one token serves the calendar and the contacts accounts.
    cfg = load_config(world.config)
    me = Me(frozenset({ME}))
    calendar = cfg.account("personal-calendar")
    contacts = cfg.account("personal-contacts")
    assert isinstance(calendar, type(cfg.account("other")))
    list(GcalConnector(calendar, me).batches(None))  # type: ignore[arg-type]
    list(GcontactsConnector(contacts, me).batches(None))  # type: ignore[arg-type]

    # Re-granting through the alias keeps gmail.send once the token had it.
    world.token.write_text(json.dumps({**saved, "scopes": [*saved["scopes"], GMAIL_SEND]}))
    again = runner.invoke(app, ["auth", "gmail", "personal", "--config", str(world.config)])
    assert again.exit_code == 0, again.output
    assert "gmail.send" in again.output


def test_a_server_without_a_browser_gets_the_url_and_a_paste_prompt(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", "/bin/false")
    result = runner.invoke(
        app,
        ["auth", "google", "personal", "--no-browser", "--config", str(world.config)],
        input="https://example.invalid/?state=nope&code=x\n",
    )
    assert result.exit_code == 1
    assert "Open this URL in a browser on any machine" in result.output
    assert world.calendar.root_url + "/o/oauth2/auth?" in result.output
    assert "Paste the address here" in result.output
    assert "belongs to another attempt" in result.output
    assert not world.token.exists()


def test_pasting_the_redirect_address_completes_the_grant(world: World) -> None:
    said: list[str] = []

    def paste(_prompt: str) -> str:
        url = re.search(r"(http://\S+/o/oauth2/auth\?\S+)", "\n".join(said))
        assert url is not None
        answer = requests.get(url[1], allow_redirects=False, timeout=10)
        return str(answer.headers["Location"])  # the page that would not load

    cfg = load_config(world.config)
    account = cfg.account("personal-contacts")
    request = AuthRequest(frozenset({"no_browser"}), tuple(cfg.accounts), said.append, paste)
    line = login(account, request)  # type: ignore[arg-type]
    assert line.startswith(f"token saved to {world.token} (mode 0600)")
    assert set(json.loads(world.token.read_text())["scopes"]) == {
        GMAIL_METADATA,
        CALENDAR_READONLY,
        CONTACTS_READONLY,
    }


def test_browser_false_still_prints_the_url_and_waits_for_the_redirect(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER", "/bin/false")
    said: list[str] = []

    def say(line: str) -> None:
        said.append(line)
        found = re.search(r"(http://\S+/o/oauth2/auth\?\S+)", line)
        if found:  # the user copies the printed URL into a browser on this machine
            url = found[1]
            threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()).start()

    cfg = load_config(world.config)
    account = cfg.account("personal")
    login(account, AuthRequest(peers=tuple(cfg.accounts), say=say))  # type: ignore[arg-type]
    assert any(line.startswith("Open this URL in a browser") for line in said)
    assert world.token.exists()


def test_scopes_union_and_what_shares_a_token(world: World) -> None:
    cfg = load_config(world.config)
    calendar = cfg.account("personal-calendar")
    group = sharing(calendar, cfg.accounts)  # type: ignore[arg-type]
    assert [a.name for a in group] == ["personal-calendar", "personal", "personal-contacts"]
    assert wanted_scopes(group, send=False, had=()) == sorted(
        [GMAIL_METADATA, CALENDAR_READONLY, CONTACTS_READONLY]
    )
    assert GMAIL_SEND in wanted_scopes(group, send=True, had=())
    other = cfg.account("other")
    assert [a.name for a in sharing(other, cfg.accounts)] == ["other"]  # type: ignore[arg-type]
    with pytest.raises(FatalError, match="client_secrets_file"):
        login(other, AuthRequest(peers=tuple(cfg.accounts)))  # type: ignore[arg-type]


def test_auth_refuses_an_account_of_another_kind(world: World) -> None:
    result = runner.invoke(app, ["auth", "google", "phone", "--config", str(world.config)])
    assert result.exit_code == 2
    assert "is a vcard account, not gmail, gcal or gcontacts" in result.output


def test_calendar_and_contacts_say_before_a_sync_that_their_grant_is_missing(
    world: World,
) -> None:
    from cli.sync import preflight

    cfg = load_config(world.config)
    names = ["personal-calendar", "personal-contacts"]
    problems = preflight(cfg, names)
    assert [p.split(":")[0] for p in problems] == [f"account {n!r}" for n in names]
    assert all("not authorized yet" in p and "keepwarm auth google" in p for p in problems)
    world.token.parent.mkdir(parents=True)
    world.token.write_text(
        json.dumps({"refresh_token": "r", "scopes": [GMAIL_METADATA, CALENDAR_READONLY]})
    )
    (problem,) = preflight(cfg, names)  # the calendar is served; contacts lack their scope
    assert problem.startswith("account 'personal-contacts': the token does not grant")
    assert "contacts.readonly" in problem and "keepwarm auth google personal-contacts" in problem
    result = runner.invoke(app, ["auth", "google", "other", "--config", str(world.config)])
    assert result.exit_code == 1
    assert result.output.count("account 'other'") == 1, result.output
    assert "OAuth client JSON" in result.output and "README" in result.output
