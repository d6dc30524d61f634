"""The mbox connector against generated mailboxes and the shared real-world corpus."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from sqlalchemy import select

from connectors.base import Connector, Me, Window
from connectors.errors import FatalError
from connectors.mbox import build
from connectors.mbox.connector import NO_DATE, MboxConnector
from connectors.mbox.frame import FrameStats, frame_mbox
from connectors.mbox.settings import MboxAccount
from connectors.source import BuildOptions
from models.config import RulesConfig
from models.records import Batch, Interaction, Skip, Sweep
from models.schema import InteractionRow
from models.store import Store
from tests.conftest import CORPUS as SHARED_CORPUS
from tests.connectors.contract import ConnectorContract, drain, keys_of

ME = Me(frozenset({"me@example.com"}))
NOW = datetime(2026, 12, 1, tzinfo=UTC)
CORPUS = SHARED_CORPUS / "mbox"


def message(
    *,
    sender: str | None = "Ada <ada@example.org>",
    to: str = "me@example.com",
    date: str | None = "Mon, 02 Mar 2026 10:00:00 +0000",
    msgid: str | None = "<m1@example.org>",
    extra: str = "",
    body: str = "Hello.\n",
    separator: str | None = "From ada@example.org Mon Mar  2 10:00:00 2026",
) -> str:
    """One mbox entry (a From_ line unless `separator` is None) with the given headers."""
    lines = [separator] if separator else []
    if sender is not None:
        lines.append(f"From: {sender}")
    lines.append(f"To: {to}")
    if date is not None:
        lines.append(f"Date: {date}")
    if msgid is not None:
        lines.append(f"Message-ID: {msgid}")
    lines.append("Subject: hi")
    if extra:
        lines.extend(extra.strip("\n").split("\n"))
    return "\n".join(lines) + "\n\n" + body + "\n"


def numbered(count: int, missing: tuple[int, ...] = ()) -> str:
    return "".join(
        message(
            sender=f"Person {n} <p{n}@example.org>",
            date=f"Mon, 02 Mar 2026 10:{n % 60:02d}:00 +0000",
            msgid=f"<msg{n}@example.org>",
            body=f"Body {n}\n>From the escaped line\n",
        )
        for n in range(count)
        if n not in missing
    )


def connector(path: Path, batch_size: int = 500, me: Me = ME) -> MboxConnector:
    return MboxConnector("arch", path, me, batch_size=batch_size, now=lambda: NOW)


def read_all(path: Path, me: Me = ME) -> tuple[list[Interaction], list[Skip], MboxConnector]:
    """Records and skips; a file refused as a whole (no usable message) is one skip naming it."""
    conn = connector(path, me=me)
    records: list[Interaction] = []
    skips: list[Skip] = []
    try:
        for batch in conn.batches(None):
            records.extend(batch.interactions)
            skips.extend(batch.skipped)
    except FatalError as exc:
        skips = [Skip(path.name, str(exc))]
    return records, skips, conn


def one(tmp_path: Path, text: str, name: str = "one.mbox", me: Me = ME) -> Interaction:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    records, skips, _ = read_all(path, me)
    assert not skips, skips
    assert len(records) == 1
    return records[0]


class TestMboxContract(ConnectorContract):
    source = "mbox"
    backfill_cursor_absent = "a window re-read keeps the account cursor (the summary says so)"
    access_fix = "fix `path`"

    def make_connector_without_access(self, tmp_path: Path) -> Connector:
        return connector(tmp_path / "gone.mbox")

    def make_connector(self, tmp_path: Path) -> Connector:
        path = tmp_path / "mail.mbox"
        path.write_text(numbered(20), encoding="utf-8")
        return connector(path, batch_size=6)

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
        # No From, no Date, and a separator line without a year: nothing to date it by.
        bad = message(sender=None, date=None, msgid="<bad@x>", separator="From x Mon Mar  2 10:00")
        good = numbered(20)
        cut = good.index("\nFrom ada@example.org", len(good) // 2) + 1
        path = tmp_path / "mail.mbox"
        path.write_text(good[:cut] + bad + good[cut:], encoding="utf-8")
        return connector(path, batch_size=6)


def test_bad_record_names_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.eml"
    path.write_text(message(sender=None, date=None, separator=None), encoding="utf-8")
    records, skips, _ = read_all(path)
    assert records == []
    assert [s.reason for s in skips] == [NO_DATE]
    assert skips[0].where.startswith("bad.eml:1")


def test_build_reads_account_path(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_text(numbered(3), encoding="utf-8")
    account = MboxAccount(name="takeout", kind="mbox", path=str(tmp_path))
    batches = drain(build(account, ME, BuildOptions()).batches(None))
    assert len(keys_of(batches)) == 3
    assert keys_of(batches)[0] == "mbox:takeout:msg0@example.org"


def test_missing_path_is_fatal_and_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="does not exist"):
        drain(connector(tmp_path / "nope.mbox").batches(None))


def test_seen_counts_messages_read(tmp_path: Path) -> None:
    (tmp_path / "m.mbox").write_text(numbered(7), encoding="utf-8")
    batches = drain(connector(tmp_path, batch_size=3).batches(None))
    assert [b.seen for b in batches] == [3, 3, 1]


# --- Gmail Takeout specifics -------------------------------------------------------------


def test_takeout_sent_label_is_outbound(tmp_path: Path) -> None:
    record = one(
        tmp_path,
        message(
            sender="Me Alias <alias@elsewhere.example>",
            to="Bo <bo@example.org>",
            extra="X-Gmail-Labels: Sent,Important\nX-GM-THRID: 1700000000000000001",
        ),
    )
    assert record.direction == "outbound"
    assert [p.value for p in record.participants] == ["bo@example.org"]
    assert record.thread_id == "1700000000000000001"


def test_takeout_promotions_label_is_bulk(tmp_path: Path) -> None:
    record = one(tmp_path, message(extra="X-Gmail-Labels: Inbox,Category Promotions,Unread"))
    assert record.bulk and record.direction == "inbound"


def test_takeout_crlf_lines(tmp_path: Path) -> None:
    text = (numbered(2) + message(msgid="<crlf@x>")).replace("\n", "\r\n")
    path = tmp_path / "All mail Including Spam and Trash.mbox"
    path.write_bytes(text.encode())
    records, skips, _ = read_all(path)
    assert not skips and len(records) == 3
    assert records[2].key == "mbox:arch:crlf@x"


def test_list_unsubscribe_is_bulk(tmp_path: Path) -> None:
    record = one(tmp_path, message(extra="List-Unsubscribe: <mailto:unsub@example.org>"))
    assert record.bulk


def test_noreply_sender_is_automated(tmp_path: Path) -> None:
    record = one(tmp_path, message(sender="Shop <no-reply@shop.example>"))
    assert record.automated


def test_me_in_cc_is_inbound_contact(tmp_path: Path) -> None:
    record = one(tmp_path, message(to="Cy <cy@example.org>", extra="Cc: Me <me@example.com>"))
    assert record.direction == "inbound" and not record.bulk and not record.automated
    assert {(p.role, p.value) for p in record.participants} == {
        ("from", "ada@example.org"),
        ("to", "cy@example.org"),
    }


def test_bcc_on_sent_message(tmp_path: Path) -> None:
    record = one(
        tmp_path,
        message(sender="me@example.com", to="a@example.org", extra="Bcc: Secret <s@example.org>"),
    )
    assert record.direction == "outbound"
    assert ("bcc", "s@example.org") in {(p.role, p.value) for p in record.participants}
    assert record.group_size == 2


def test_twelve_recipient_cc(tmp_path: Path) -> None:
    cc = ", ".join(f"Friend {n} <f{n}@example.org>" for n in range(12))
    record = one(tmp_path, message(sender="me@example.com", to="", extra=f"Cc: {cc}"))
    assert record.group_size == 12


def test_duplicate_cc_headers_are_merged(tmp_path: Path) -> None:
    record = one(tmp_path, message(extra="Cc: a@example.org\ncc: b@example.org"))
    assert {p.value for p in record.participants if p.role == "cc"} == {
        "a@example.org",
        "b@example.org",
    }


# --- Encodings and malformed headers -----------------------------------------------------


def test_rfc2047_names_in_odd_charsets(tmp_path: Path) -> None:
    def b(text: str, charset: str) -> str:
        return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="

    record = one(
        tmp_path,
        message(
            sender=f"{b('Атикова', 'cp1251')} <at@example.ru>",
            extra=(
                f"Cc: {b('山田太郎', 'shift_jis')} <yamada@example.jp>, "
                "=?utf-8?q?M=C3=BCller,_Hans?= <hm@example.de>"
            ),
        ),
    )
    names = {p.value: p.name for p in record.participants}
    assert names == {
        "at@example.ru": "Атикова",
        "yamada@example.jp": "山田太郎",
        "hm@example.de": "Müller, Hans",
    }


def test_malformed_encoded_word_and_raw_8bit_never_crash(tmp_path: Path) -> None:
    text = message(
        sender="=?NONE?B?VEVTVA=?= <t@example.org>",
        extra='Cc: =?iso-8859-1?Q? "=F6tzi" ?= <o@example.org>',
    ).encode("utf-8")
    text = text.replace(b"Subject: hi", b"Subject: caf\xe9 \xff\xfe")
    text = text.replace(b"To: me@example.com", "To: Jürgen <me@example.com>".encode("latin-1"))
    (tmp_path / "x.mbox").write_bytes(text)
    records, skips, _ = read_all(tmp_path / "x.mbox")
    assert len(records) + len(skips) == 1


def test_folded_header_group_and_bare_from(tmp_path: Path) -> None:
    record = one(
        tmp_path,
        message(
            sender="Big Bug bb@bug.com",
            to="undisclosed-recipients:;",
            extra="Cc: One <one@example.org>,\n  Two\n\t<two@example.org>",
        ),
    )
    assert [(p.role, p.value, p.name) for p in record.participants] == [
        ("from", "bb@bug.com", "Big Bug"),
        ("cc", "one@example.org", "One"),
        ("cc", "two@example.org", "Two"),
    ]


def test_message_id_key_is_normalized_and_missing_one_is_hashed(tmp_path: Path) -> None:
    text = message(msgid="  <ABC.Def@Example.ORG> ") + message(msgid=None)
    (tmp_path / "k.mbox").write_text(text, encoding="utf-8")
    records, _, _ = read_all(tmp_path / "k.mbox")
    assert records[0].key == "mbox:arch:abc.def@example.org"
    hashed = records[1].key.rsplit(":", 1)[1]
    assert len(hashed) == 64 and int(hashed, 16) >= 0
    again, _, _ = read_all(tmp_path / "k.mbox")
    assert [r.key for r in again] == [r.key for r in records]


def test_subjects_only_when_asked(tmp_path: Path) -> None:
    assert one(tmp_path, message()).subject is None
    keep = Me(ME.emails, store_subjects=True)
    assert one(tmp_path, message(), name="s.mbox", me=keep).subject == "hi"


# --- Dates ---------------------------------------------------------------------------------

RECEIVED = (
    "Received: from a.example by b.example; Tue, 03 Mar 2026 08:00:00 +0000\n"
    "Received: from c.example by a.example;\n\tTue, 03 Mar 2026 09:30:00 +0100"
)


@pytest.mark.parametrize(
    "bad_date",
    [
        "Tue, 06 Jun 2017 27:39:33 +0600",
        "Whenever",
        "",
        "Mon, 30 Jun 3609 15:33:50 +0600",
        "Fri, 01 Jan 1971 00:00:00 +0000",
        "Fri, 20 Mar 2026 00:00:00 +0000",
    ],
)
def test_bad_date_falls_back_to_newest_received(tmp_path: Path, bad_date: str) -> None:
    path = tmp_path / "d.mbox"
    path.write_text(message(date=bad_date, extra=RECEIVED), encoding="utf-8")
    records, skips, conn = read_all(path)
    assert not skips
    assert records[0].occurred_at == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    assert conn.fallback_dates == 1


def test_no_date_falls_back_to_separator_line(tmp_path: Path) -> None:
    path = tmp_path / "d.mbox"
    sep = "From 1595617153338339371@xxx Fri Jul 24 19:39:37 +0200 2020"
    path.write_text(message(date=None, separator=sep), encoding="utf-8")
    records, _, conn = read_all(path)
    assert records[0].occurred_at == datetime(2020, 7, 24, 17, 39, 37, tzinfo=UTC)
    assert conn.fallback_dates == 1 and conn.fallback_sources == {"from_line": 1}


def test_good_date_is_utc_and_not_a_fallback(tmp_path: Path) -> None:
    path = tmp_path / "d.mbox"
    path.write_text(message(date="Tue, 3 Mar 2026 01:00:00 +0900"), encoding="utf-8")
    records, _, conn = read_all(path)
    assert records[0].occurred_at == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    assert conn.fallback_dates == 0


# --- Framing -------------------------------------------------------------------------------


def test_preamble_before_first_from_line(tmp_path: Path) -> None:
    path = tmp_path / "p.mbox"
    path.write_text("This is not mail: just a note.\n\n" + numbered(2), encoding="utf-8")
    records, skips, _ = read_all(path)
    assert not skips and len(records) == 2


def test_escaped_and_unquoted_from_lines_do_not_split(tmp_path: Path) -> None:
    body = "Hi\n>From the start\n\nFrom time to time we meet.\nFrom: not a header\n"
    text = message(msgid="<a@x>", body=body) + message(msgid="<b@x>")
    (tmp_path / "f.mbox").write_text(text, encoding="utf-8")
    records, skips, _ = read_all(tmp_path / "f.mbox")
    assert [r.key for r in records] == ["mbox:arch:a@x", "mbox:arch:b@x"]
    assert not skips


def test_eml_body_from_lines_never_split(tmp_path: Path) -> None:
    sep = "From ada@example.org Mon Mar  2 10:00:00 2026"
    body = f"quoted:\n\n{sep}\nFrom: someone@else.example\n"
    record = one(tmp_path, message(body=body), name="m.eml")
    assert record.key == "mbox:arch:m1@example.org"


class Trickle(io.RawIOBase):
    """A file that hands out at most 7 bytes per read, so every separator straddles a read."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.data.seek(offset, whence)

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(min(len(buffer), 7))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_framing_does_not_depend_on_read_sizes() -> None:
    body = "x" * 70_000 + "\nFrom time to time\n>From q\n"
    text = "preamble\n\n" + numbered(5) + message(msgid="<long@x>", body=body) + numbered(3)
    data = text.replace("\n", "\r\n").encode()
    whole = list(frame_mbox(io.BytesIO(data), 0, 1, FrameStats()))
    trickled = list(frame_mbox(cast(BinaryIO, Trickle(data)), 0, 1, FrameStats()))
    assert len(whole) == 9 and whole == trickled
    lines = data.split(b"\n")
    for raw in whole:
        assert raw.from_line is not None and lines[raw.line - 1].startswith(raw.from_line)
        assert data[raw.start : raw.end].startswith(b"From ")
    resumed = list(frame_mbox(io.BytesIO(data), whole[4].end, whole[5].line, FrameStats()))
    assert resumed == whole[5:]


def test_not_a_mailbox_is_one_named_skip(tmp_path: Path) -> None:
    (tmp_path / "prose.mbox").write_text("Lorem ipsum dolor.\nSit amet.\n", encoding="utf-8")
    records, skips, _ = read_all(tmp_path / "prose.mbox")
    assert records == [] and len(skips) == 1 and "not a mailbox" in skips[0].reason


def test_folder_is_recursive_sorted_and_ignores_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.eml").write_text(message(msgid="<z@x>"), encoding="utf-8")
    (tmp_path / "a.mbox").write_text(message(msgid="<a@x>"), encoding="utf-8")
    (tmp_path / "Inbox.mbox").mkdir()
    (tmp_path / "Inbox.mbox" / "mbox").write_text(message(msgid="<apple@x>"), encoding="utf-8")
    (tmp_path / "._a.mbox").write_bytes(b"\x00\x05\x16\x07 apple double")
    (tmp_path / "notes.txt").write_text("ignore me", encoding="utf-8")
    records, skips, _ = read_all(tmp_path)
    assert [r.key.rsplit(":", 1)[1] for r in records] == ["apple@x", "a@x", "z@x"]
    assert not skips


# --- Cursor ----------------------------------------------------------------------------------


def test_cursor_is_file_offset_and_signature(tmp_path: Path) -> None:
    (tmp_path / "m.mbox").write_text(numbered(4), encoding="utf-8")
    batches = drain(connector(tmp_path, batch_size=2).batches(None))
    cursor = json.loads(batches[-1].cursor or "")
    assert cursor["file"] == "m.mbox"
    assert cursor["offset"] == (tmp_path / "m.mbox").stat().st_size
    assert cursor["sig"].startswith(f"{cursor['offset']}:")


def test_resume_skips_finished_files_across_a_folder(tmp_path: Path) -> None:
    (tmp_path / "1.mbox").write_text(numbered(3), encoding="utf-8")
    (tmp_path / "2.eml").write_text(message(msgid="<eml@x>"), encoding="utf-8")
    text = numbered(8).replace("msg", "late")
    (tmp_path / "3.mbox").write_text(text, encoding="utf-8")
    full = drain(connector(tmp_path, batch_size=2).batches(None))
    for index, batch in enumerate(full):
        resumed = drain(connector(tmp_path, batch_size=2).batches(batch.cursor))
        assert keys_of(resumed) == keys_of(full[index + 1 :])


def test_replaced_file_is_read_again_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "m.mbox"
    path.write_text(numbered(4), encoding="utf-8")
    first = drain(connector(path, batch_size=2).batches(None))
    path.write_text(numbered(5).replace("msg", "new"), encoding="utf-8")
    again = drain(connector(path, batch_size=2).batches(first[0].cursor))
    assert keys_of(again) == [f"mbox:arch:new{n}@example.org" for n in range(5)]


def test_window_rereads_everything_and_filters(tmp_path: Path) -> None:
    text = message(msgid="<old@x>", date="Mon, 05 Jan 2015 10:00:00 +0000") + message(
        msgid="<new@x>"
    )
    (tmp_path / "w.mbox").write_text(text, encoding="utf-8")
    conn = connector(tmp_path)
    done = drain(conn.batches(None))
    window = Window(since=datetime(2026, 1, 1, tzinfo=UTC))
    batches: list[Batch] = drain(conn.batches(done[-1].cursor, window))
    assert keys_of(batches) == ["mbox:arch:new@x"]
    assert sum(b.seen for b in batches) == 2


# --- The shared corpus of real-world oddities -----------------------------------------------


def test_every_corpus_file_is_parsed_or_skipped_with_a_reason() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    files = sorted(p for p in CORPUS.iterdir() if p.is_file())
    for path in files:
        records, skips, _ = read_all(path)
        assert records or skips, f"{path.name}: neither parsed nor skipped"
        assert all(s.where.startswith(path.name) and s.reason for s in skips)
        for record in records:
            assert record.occurred_at.tzinfo is not None
            assert record.key.startswith("mbox:arch:")


def test_corpus_highlights() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    by_file: dict[str, list[Interaction]] = {}
    for path in sorted(CORPUS.iterdir()):
        records, _, _ = read_all(path)
        by_file[path.name] = records
    assert len(by_file["nodembox_4_messages_bad_to.mbox"]) == 4
    assert len(by_file["nodembox_preamble_before_from.mbox"]) == 1
    (bare,) = by_file["rubymail_from_without_angle_brackets.eml"]
    assert bare.participants[0].value == "bb@bug.com"
    (spam,) = by_file["rubymail_year_3609_cp1251_name.eml"]
    assert spam.occurred_at.year < 2030
    assert spam.participants[0].name and spam.participants[0].name.startswith("Атиков")
    (cc,) = by_file["notmuch_duplicate_cc_headers.eml"]
    assert len([p for p in cc.participants if p.role == "cc"]) == 2


# --- Full reads sweep what an export no longer has ---------------------------------------


RULES = RulesConfig()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    yield s
    s.close()


def sync(store: Store, conn: MboxConnector, window: Window | None = None) -> list[Batch]:
    """As the sync flow does: the stored cursor in, every batch stored (a backfill's cursor
    is not kept)."""
    state = store.sync_state(conn.account)
    batches = drain(conn.batches(state.cursor if state and window is None else None, window))
    for batch in batches:
        if window is not None:
            batch.cursor = None
        store.apply_batch(conn.account, "mbox", batch, RULES)
    return batches


def stored(store: Store) -> set[str]:
    with store.session() as session:
        return {k.rsplit(":", 1)[1] for k in session.scalars(select(InteractionRow.key))}


def ids(*numbers: int) -> set[str]:
    return {f"msg{n}@example.org" for n in numbers}


def test_replaced_export_missing_two_messages_removes_them(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "All mail.mbox"
    path.write_text(numbered(10), encoding="utf-8")
    first = sync(store, connector(path, batch_size=4))
    assert stored(store) == ids(*range(10))
    assert {b.round for b in first} == {first[0].round} and first[0].round
    assert [b.sweep is not None for b in first] == [False, False, True]
    assert first[-1].sweep == Sweep("mbox:arch:")
    path.write_text(numbered(10, (3, 7)), encoding="utf-8")
    again = sync(store, connector(path, batch_size=4))
    assert again[0].round != first[0].round
    assert stored(store) == ids(*range(10)) - ids(3, 7)
    assert sum(b.seen for b in again) == 8
    # Unchanged since: the finished cursor reads nothing and removes nothing.
    assert sync(store, connector(path, batch_size=4)) == []
    assert stored(store) == ids(*range(10)) - ids(3, 7)


def test_resumed_full_read_keeps_its_round_and_still_sweeps(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "m.mbox"
    path.write_text(numbered(10), encoding="utf-8")
    sync(store, connector(path, batch_size=3))
    path.write_text(numbered(10, (1, 8)), encoding="utf-8")
    state = store.sync_state("arch")
    assert state is not None
    run = connector(path, batch_size=3).batches(state.cursor)
    first = next(run)
    store.apply_batch("arch", "mbox", first, RULES)  # the run dies after its first batch
    cursor = json.loads((store.sync_state("arch") or state).cursor or "")
    assert cursor["round"] == first.round
    resumed = sync(store, connector(path, batch_size=3))
    assert {b.round for b in resumed} == {first.round}
    assert resumed[-1].sweep is not None
    # msg0/2/3 came in the interrupted run's batch; the same round keeps them.
    assert stored(store) == ids(*range(10)) - ids(1, 8)


def test_new_files_after_the_cursor_are_read_without_a_sweep(store: Store, tmp_path: Path) -> None:
    (tmp_path / "2025.mbox").write_text(numbered(4), encoding="utf-8")
    sync(store, connector(tmp_path))
    (tmp_path / "2026.mbox").write_text(numbered(6).replace("msg", "late"), encoding="utf-8")
    later = sync(store, connector(tmp_path))
    assert [b.round for b in later] == [None] and later[0].sweep is None
    assert len(later[0].interactions) == 6
    assert ids(*range(4)) <= stored(store) and len(stored(store)) == 10


def test_a_changed_earlier_file_means_a_full_read(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_text(numbered(4), encoding="utf-8")
    (tmp_path / "b.mbox").write_text(numbered(3).replace("msg", "b"), encoding="utf-8")
    sync(store, connector(tmp_path))
    (tmp_path / "a.mbox").write_text(numbered(4, (2,)), encoding="utf-8")
    again = sync(store, connector(tmp_path))
    assert again[-1].sweep is not None
    assert stored(store) == ids(0, 1, 3) | {f"b{n}@example.org" for n in range(3)}


def test_window_read_sweeps_only_inside_the_window(store: Store, tmp_path: Path) -> None:
    def mail(*names: str) -> str:
        dates = {"old": "Mon, 05 Jan 2015 10:00:00 +0000", "new": "Mon, 02 Mar 2026 10:00:00 +0000"}
        return "".join(message(msgid=f"<{n}@x>", date=dates[n[:3]]) for n in names)

    path = tmp_path / "w.mbox"
    path.write_text(mail("old1", "old2", "new1", "new2"), encoding="utf-8")
    sync(store, connector(path))
    path.write_text(mail("old1", "new1"), encoding="utf-8")
    window = Window(since=datetime(2026, 1, 1, tzinfo=UTC))
    batches = sync(store, connector(path), window)
    assert batches[-1].sweep == Sweep("mbox:arch:", window.since, None)
    assert stored(store) == {"old1@x", "old2@x", "new1@x"}  # old2 is outside the window


def test_a_file_that_is_not_a_mailbox_is_not_swept(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_text(numbered(3), encoding="utf-8")
    (tmp_path / "b.mbox").write_text(numbered(2).replace("msg", "b"), encoding="utf-8")
    sync(store, connector(tmp_path))
    (tmp_path / "b.mbox").write_text("half-copied garbage\n", encoding="utf-8")
    again = sync(store, connector(tmp_path))
    assert again[-1].sweep is None and again[-1].skipped
    assert stored(store) == ids(0, 1, 2) | {"b0@example.org", "b1@example.org"}
