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

from delivery.render import (
    html_format,
    plain_digest,
    render,
    slack_format,
    text_format,
    words,
)
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
    assert "5 people worth a message today — first, reply to Alan &lt;Turing&gt; &amp; Co" in page
    assert "mailto:ada%40example.com" in page and "Reply to Alan &lt;Turing&gt;" in page


def test_every_format_leads_with_the_digest_sections_in_order() -> None:
    report = sample_report()
    titles = ["Reply", "Losing touch", "New — follow up", "Birthdays", "Reconnect"]
    for fmt in ("html", "text", "markdown", "slack"):
        page = render(report, fmt)
        positions = [page.find(title) for title in titles]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), fmt
        assert "Say hello?" in page and "not answered" in page, fmt
    text = render(report, "text")
    assert text.index("Reconnect") < text.index("Everyone, most overdue first")
    table = text[text.index("Everyone") :]
    assert table.index("Ada Lovelace") < table.index("Carla Mendes")  # dormant at the bottom
    assert "Everyone, most overdue first" in render(report, "markdown")
    assert "Everyone" not in render(report, "html")  # the email is the digest, not the table


def test_the_html_digest_stays_under_gmails_clipping_size() -> None:
    """Gmail clips a message over ~102 KB; the digest at its default budget, with the longest
    names and reasons the store allows and a full fortnight ahead, stays well under."""
    report = sample_report()
    long = "Wolfeschlegelsteinhausenbergerdorff " * 8
    items = [
        item.model_copy(update={"name": long[:300], "reason": "because " * 60})
        for item in report.digest.items
    ]
    items += [items[1].model_copy(update={"id": f"x{n}"}) for n in range(2)]  # 7 items
    soon = [
        p.model_copy(update={"id": f"m{n}", "next_planned_at": p.next_planned_at})
        for n, p in enumerate([report.people[1]] * 30)
    ]
    big = report.model_copy(
        update={
            "digest": report.digest.model_copy(update={"items": items[:7]}),
            "people": [*report.people, *soon],
        }
    )
    size = len(html_format.render(big).encode("utf-8"))
    assert size < 60_000, size


def test_nothing_to_do_and_an_empty_store_are_said_plainly() -> None:
    report = sample_report()
    quiet = report.model_copy(update={"digest": report.digest.model_copy(update={"items": []})})
    assert words.headline(quiet) == "Nobody needs a message from you today"
    assert "Nobody is waiting for you" in html_format.render(quiet)
    empty = quiet.model_copy(update={"people": []})
    assert "sync an account first" in html_format.render(empty)


def test_meetings_and_birthdays_within_14_days_are_coming_up() -> None:
    items = words.upcoming(sample_report())
    assert [(i.kind, i.person.name.split()[0]) for i in items] == [
        ("birthday", "Linus"),
        ("meeting", "Grace"),
        ("birthday", "Ada"),
    ]
    assert words.birthday_in(person("X", days_since=1, cadence=9, birthday="--0229"), AS_OF)


def test_plain_text_part_says_the_same() -> None:
    text = plain_digest.render(sample_report())
    assert text.splitlines()[0] == html_format.render(sample_report()).split("<h1")[1].split(
        ">", 1
    )[1].split("<")[0].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert "REPLY" in text and "Reply to Alan <Turing> & Co: alan@example.org" in text
    assert "COMING UP (next 14 days)" in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_text_keeps_user_text_literal_and_fits_the_width() -> None:
    report = sample_report()
    odd = person("Ben [/] Carter", days_since=40, cadence=14, email="ben@example.com")
    report = report.model_copy(update={"people": [odd, *report.people]})
    text = text_format.render(report, width=80)
    assert "Ben [/] Carter" in text
    assert max(len(line) for line in text.splitlines()) <= 80


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
    for item in report.digest.items:  # every item made it, none cut off
        assert f"*{slack_format._escape(item.name)}*" in text
    assert json.loads(render(report, "slack")) == messages


def test_slack_splits_a_text_over_3000_characters() -> None:
    long_reason = "word " * 1500
    report = sample_report()
    items = [report.digest.items[0].model_copy(update={"reason": long_reason})]
    report = report.model_copy(update={"digest": report.digest.model_copy(update={"items": items})})
    messages = slack_format.messages(report)
    _check_limits(messages)
    joined = "".join(
        b["text"]["text"] for m in messages for b in m["blocks"] if b["type"] == "section"
    )
    assert joined.count("word") == 1500


def test_slack_hides_addresses_for_shared_channels() -> None:
    report = sample_report()
    items = [
        *report.digest.items,
        report.digest.items[1].model_copy(
            update={
                "id": "bob",
                "name": "bob@secret.example",
                "emails": ["bob@secret.example"],
                "reason": "You last emailed bob@secret.example on 1 Aug.",
            }
        ),
    ]
    report = report.model_copy(update={"digest": report.digest.model_copy(update={"items": items})})
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
    assert "RECONNECT" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_an_opted_in_fading_item_has_its_own_section_after_losing_touch() -> None:
    from models.digest import DigestItem

    report = sample_report()
    linus = next(p for p in report.people if p.name == "Linus Torvalds")
    fading = DigestItem(
        id=linus.id,
        name=linus.name,
        emails=linus.emails,
        kind="fading",
        reason="You and Linus were in touch every week this year; it has been 5 weeks.",
        score=0.4,
    )
    items = [i for i in report.digest.items if i.kind != "birthday"]
    at = next(n for n, i in enumerate(items) if i.kind == "new")
    report.digest.items[:] = [*items[:at], fading, *items[at:]]
    for fmt in ("html", "text", "markdown", "slack"):
        page = render(report, fmt)
        order = [page.find(t) for t in ("Losing touch", "Fading", "New — follow up")]
        assert all(p >= 0 for p in order) and order == sorted(order), fmt
        assert "it has been 5 weeks" in page, fmt
    assert "Write to Linus" in render(report, "html")
