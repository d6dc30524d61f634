"""One cursor codec (connectors.cursor): versioned JSON, older versions upgraded, an unreadable
cursor a named failure. Each source's cursor from before versions, as stores hold them today,
still reads — as literal strings here, and through the real sync loop for the file sources."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.cursor import CursorFormat, Fields
from connectors.errors import FatalError
from connectors.gmail.cursor import CURSOR as GMAIL
from connectors.gmail.cursor import BackfillState, Nightly
from connectors.ics.cursor import CURSOR as ICS
from connectors.ics.cursor import IcsCursor
from connectors.mbox.cursor import CURSOR as MBOX
from connectors.mbox.cursor import Position
from connectors.outlook.cursor import CURSOR as OUTLOOK
from connectors.vcard.cursor import CURSOR as VCARD
from connectors.vcard.cursor import Cursor
from ingest.sync import sync_account_now
from models.config import config_from_dict
from models.records import Batch
from models.store import Store

# -- the codec ------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    n: int


def _upgrade(version: int, fields: Fields) -> Fields:
    return {"n": fields["count"]} if version == 0 else fields


COUNT = CursorFormat(
    source="toy",
    version=1,
    dump=lambda state: {"n": state.n},
    load=lambda fields: Count(int(fields["n"])),
    upgrade=_upgrade,
)


def test_encode_writes_the_version_and_decode_reads_it_back() -> None:
    text = COUNT.encode(Count(3))
    assert json.loads(text) == {"v": 1, "n": 3}
    assert COUNT.decode(text, "acct") == Count(3)


def test_no_cursor_is_none() -> None:
    assert COUNT.decode(None, "acct") is None
    assert COUNT.decode("", "acct") is None


def test_a_cursor_without_a_version_is_version_0_and_upgraded() -> None:
    assert COUNT.decode('{"count": 7}', "acct") == Count(7)


@pytest.mark.parametrize(
    "cursor",
    ["not json", "[1, 2]", '"text"', '{"v": 1}', '{"v": 1, "n": "x"}', '{"v": "1", "n": 1}'],
)
def test_an_unreadable_cursor_is_fatal_and_names_account_and_fix(cursor: str) -> None:
    with pytest.raises(FatalError) as failure:
        COUNT.decode(cursor, "acct")
    message = str(failure.value)
    assert "account 'acct'" in message and "`keepwarm backfill --account acct`" in message
    assert "toy cursor" in message


def test_a_cursor_from_a_newer_keepwarm_is_fatal() -> None:
    with pytest.raises(FatalError, match="newer keepwarm"):
        COUNT.decode('{"v": 2, "n": 1}', "acct")


def test_the_version_field_is_reserved() -> None:
    clash = CursorFormat(source="toy", version=1, dump=lambda n: {"v": n}, load=lambda f: f)
    with pytest.raises(ValueError, match="'v'"):
        clash.encode(1)


# -- every source's cursor from before versions, as stores hold them --------------------


def test_vcard_version_0() -> None:
    assert VCARD.decode('{"digest":"ab12","done":3}', "phone") == Cursor("ab12", 3)
    assert json.loads(VCARD.encode(Cursor("ab12", 3))) == {"v": 1, "digest": "ab12", "done": 3}


def test_ics_version_0() -> None:
    old = '{"digest":"cd34","window":["2021-12-02T00:00:00Z","2027-03-01T00:00:00Z"],"done":5}'
    start, end = datetime(2021, 12, 2, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)
    assert ICS.decode(old, "cal") == IcsCursor("cd34", start, end, 5, 0)
    with_skips = old[:-1] + ',"skipped":2}'
    decoded = ICS.decode(with_skips, "cal")
    assert decoded == IcsCursor("cd34", start, end, 5, 2) and decoded.position == 7


def test_mbox_version_0() -> None:
    old = '{"file":"All mail.mbox","offset":1024,"sig":"4096:ef56","pre":"0a1b","round":"9f8e"}'
    assert MBOX.decode(old, "takeout") == Position(
        "All mail.mbox", 1024, "4096:ef56", "0a1b", "9f8e"
    )
    before_rounds = '{"file":"All mail.mbox","offset":1024,"sig":"4096:ef56"}'
    assert MBOX.decode(before_rounds, "takeout") == Position("All mail.mbox", 1024, "4096:ef56")


def test_gmail_version_0() -> None:
    assert GMAIL.decode('{"history_id":12345}', "personal") == Nightly(12345)
    assert GMAIL.decode('{"history_id":12345,"off":7}', "personal") == Nightly(12345, 7)
    old_backfill = (
        '{"backfill":{"history_id":99,"phase":"inbound","after":"","page":"tok","off":3,'
        '"label":"CATEGORY_PERSONAL","since":null,"until":1767225600000,"end_history":null}}'
    )
    assert GMAIL.decode(old_backfill, "personal") == BackfillState(
        99, "inbound", "", "tok", 3, "CATEGORY_PERSONAL", None, 1767225600000, None
    )


ROUND = (
    '{"delta":"https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=x",'
    '"initial":false,"next":null,"round":"a1b2","window":["2021-12-02T00:00:00Z",'
    '"2027-03-01T00:00:00Z"]}'
)


def test_outlook_version_0() -> None:
    calendar = json.loads(ROUND)
    delegated = '{"calendar":' + ROUND + ',"mail":{"sent":' + ROUND + "}}"
    assert OUTLOOK.decode(delegated, "work") == {"calendar": calendar, "mail": {"sent": calendar}}
    # Saved before mail was read: the mailbox's state was the calendar's state by itself.
    assert OUTLOOK.decode(ROUND, "work") == {"calendar": calendar}
    org = '{"users":{"ada@firm.example":' + ROUND + ',"bo@firm.example":' + delegated + "}}"
    assert OUTLOOK.decode(org, "firm") == {
        "users": {
            "ada@firm.example": {"calendar": calendar},
            "bo@firm.example": {"calendar": calendar, "mail": {"sent": calendar}},
        }
    }


# -- through the sync loop: an old store keeps syncing where it was ---------------------

VCARD_FILE = "BEGIN:VCARD\nVERSION:3.0\nUID:{n}\nFN:Person {n}\nEMAIL:p{n}@example.org\nEND:VCARD\n"
MBOX_FILE = (
    "From p{n}@example.org Mon Mar  2 10:00:00 2026\nFrom: Person {n} <p{n}@example.org>\n"
    "To: me@example.com\nDate: Mon, 02 Mar 2026 10:00:00 +0000\nMessage-ID: <m{n}@example.org>\n"
    "\nHello.\n\n"
)


def _store_with_version_0_cursor(tmp_path: Path, kind: str, text: str) -> tuple[Store, dict]:
    export = tmp_path / f"export.{'vcf' if kind == 'vcard' else 'mbox'}"
    export.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    config = {
        "store": {"url": url},
        "me": {"emails": ["me@example.com"]},
        "accounts": [{"name": "old", "kind": kind, "path": str(export)}],
    }
    store = Store(url)
    sync_account_now(config_from_dict(config), store, "old")
    state = store.sync_state("old")
    assert state is not None and state.cursor is not None
    fields = json.loads(state.cursor)
    assert fields.pop("v") == 1
    # What a keepwarm from before versions saved for the same read.
    store.apply_batch("old", kind, Batch(cursor=json.dumps(fields)), config_from_dict(config).rules)
    return store, config


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("vcard", "".join(VCARD_FILE.format(n=n) for n in range(3))),
        ("mbox", "".join(MBOX_FILE.format(n=n) for n in range(3))),
    ],
)
def test_a_version_0_cursor_resumes_instead_of_re_reading(
    tmp_path: Path, kind: str, text: str
) -> None:
    store, config = _store_with_version_0_cursor(tmp_path, kind, text)
    again = sync_account_now(config_from_dict(config), store, "old")
    assert (again.seen, again.inserted, again.cards) == (0, 0, 0)
    state = store.sync_state("old")
    assert state is not None and state.cursor is not None
    assert '"v":' not in state.cursor  # nothing new stored: the old cursor stays as it was
    store.close()


def test_an_unreadable_stored_cursor_fails_the_account_and_keeps_the_cursor(
    tmp_path: Path,
) -> None:
    store, config = _store_with_version_0_cursor(tmp_path, "vcard", VCARD_FILE.format(n=1))
    store.apply_batch("old", "vcard", Batch(cursor="garbage"), config_from_dict(config).rules)
    with pytest.raises(FatalError, match=r"account 'old'.*keepwarm backfill --account old"):
        sync_account_now(config_from_dict(config), store, "old")
    state = store.sync_state("old")
    assert state is not None and state.cursor == "garbage"
    store.close()
