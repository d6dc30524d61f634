"""The digest formats: email-safe HTML, its plain-text twin, and Slack Block Kit limits."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from delivery.render import digest, html_format, plain_digest, render, slack_format
from tests.digest_sample import AS_OF, person, sample_report


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcs += [v or "" for k, v in attrs if k in ("src", "background")]


def test_html_is_email_safe_and_escaped() -> None:
    page = html_format.render(sample_report())
    parser = _Tags()
    parser.feed(page)
    assert page.startswith("<!DOCTYPE html>")
    assert not {"script", "style", "link", "img", "iframe"} & set(parser.tags)
    assert parser.srcs == []  # no external images
    assert "Alan &lt;Turing&gt; &amp; Co" in page and "<Turing>" not in page
    assert "3 people are overdue — write to Ada Lovelace today" in page
    assert "mailto:ada@example.com" in page
    assert "Upcoming in the next 14 days" in page
    assert page.count("1×") >= 4  # the overdue bar's marks on every scored person


def test_lead_skips_someone_you_are_meeting_soon() -> None:
    report = sample_report()
    met = report.people[0].model_copy(update={"next_planned_at": report.people[1].next_planned_at})
    report = report.model_copy(update={"people": [met, *report.people[1:]]})
    first = digest.start_with(report)
    assert first is not None and first.name == "Alan <Turing> & Co"


def test_headline_when_nobody_is_overdue() -> None:
    warm = person("Linus Torvalds", days_since=2, cadence=14, email="l@example.net")
    report = sample_report().model_copy(update={"people": [warm]})
    assert digest.headline(report) == "Everyone is warm — nothing to do today"
    empty = report.model_copy(update={"people": []})
    assert "sync an account first" in html_format.render(empty)


def test_birthdays_and_meetings_within_14_days_are_upcoming() -> None:
    items = digest.upcoming(sample_report())
    assert [(i.kind, i.person.name.split()[0]) for i in items] == [
        ("meeting", "Grace"),
        ("birthday", "Linus"),
        ("birthday", "Ada"),
    ]
    assert digest.birthday_in(person("X", days_since=1, cadence=9, birthday="--0229"), AS_OF)


def test_plain_text_part_says_the_same() -> None:
    text = plain_digest.render(sample_report())
    assert text.splitlines()[0] == "3 people are overdue — write to Ada Lovelace today"
    assert "1. Ada Lovelace — COLD" in text and "Write to: ada@example.com" in text
    assert "Upcoming (next 14 days)" in text
    assert all(len(line) <= 100 for line in text.splitlines())


def _check_limits(messages: list[dict[str, object]]) -> None:
    for message in messages:
        blocks = message["blocks"]
        assert isinstance(blocks, list) and 0 < len(blocks) <= slack_format.MAX_BLOCKS
        assert message["text"]
        for block in blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= slack_format.MAX_HEADER
                assert block["text"]["type"] == "plain_text"
            elif block["type"] == "section":
                assert 0 < len(block["text"]["text"]) <= slack_format.MAX_TEXT
            elif block["type"] == "context":
                assert all(len(e["text"]) <= slack_format.MAX_TEXT for e in block["elements"])
            else:
                assert block["type"] == "divider"


def test_slack_splits_rather_than_truncates() -> None:
    report = sample_report(extra=60)
    messages = slack_format.messages(report)
    assert len(messages) > 1
    _check_limits(messages)
    text = json.dumps(messages, ensure_ascii=False)
    for p in report.people:  # every person made it, none cut off
        assert f". {slack_format._escape(p.name)}*" in text
    assert json.loads(render(report, "slack")) == messages


def test_slack_splits_a_text_over_3000_characters() -> None:
    long_reason = "word " * 1500
    report = sample_report().model_copy(
        update={"people": [person("Long Reason", days_since=90, cadence=30, reason=long_reason)]}
    )
    messages = slack_format.messages(report)
    _check_limits(messages)
    joined = "".join(
        b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section"
    )
    assert joined.count("word") == 2 * 1500  # the lead line repeats the reason


def test_slack_hides_addresses_for_shared_channels() -> None:
    report = sample_report()
    named_by_address = person(
        "bob@secret.example",
        days_since=99,
        cadence=30,
        email="bob@secret.example",
        reason="You last emailed bob@secret.example on 1 Aug.",
    )
    report = report.model_copy(update={"people": [*report.people, named_by_address]})
    shown = json.dumps(slack_format.messages(report))
    hidden = json.dumps(slack_format.messages(report, hide_addresses=True))
    assert "ada@example.com" in shown
    assert not re.search(r"[\w.]+@[\w.]+\.\w+", hidden)
    assert "Ada Lovelace" in hidden


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "digest.html"
    page.write_text(html_format.render(sample_report(), timezone="Europe/London"), "utf-8")
    shot = tmp_path / "digest.png"
    profile = tempfile.mkdtemp(prefix="kw-chromium-")
    try:
        subprocess.run(
            [
                "/usr/bin/chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                "--window-size=800,1500",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


def test_every_format_renders_a_dormant_person() -> None:
    """A digest whose table shows a dormant person (listed after the rest) is delivered, not
    crashed: found by killing the nightly mid-send (tests/faults)."""
    from delivery.render import render
    from delivery.send.email import build_message
    from models.config import config_from_dict
    from tests.digest_sample import sample_report

    report = sample_report()
    people = [p.model_copy(update={"status": "dormant"}) for p in report.people[:2]]
    report = report.model_copy(update={"people": people + report.people[2:]})
    for fmt in ("text", "markdown", "html", "json", "csv", "slack"):
        assert render(report, fmt, config_from_dict({}))
    message = build_message(report, "k@example.com", "a@example.org", "UTC")
    assert "DORMANT" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
