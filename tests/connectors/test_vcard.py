"""The vCard connector against generated exports and the shared real-world corpus."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Connector, Me, Window
from connectors.errors import FatalError
from connectors.source import BuildOptions
from connectors.vcard import build
from connectors.vcard.connector import VcardConnector
from connectors.vcard.settings import VcardAccount
from connectors.vcard.values import parse_birthday
from models.records import ContactCard, Skip
from tests.conftest import CORPUS as SHARED_CORPUS
from tests.connectors.contract import ConnectorContract, drain, keys_of

ME = Me(frozenset({"me@example.com"}), frozenset({"+14155550000"}), "US")
CORPUS = SHARED_CORPUS / "vcard"


def vcard(*lines: str, version: str = "3.0") -> str:
    return "\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD"]) + "\r\n"


def people(count: int) -> str:
    """`count` good cards: even ones carry a UID, odd ones are keyed by hash."""
    cards = []
    for n in range(count):
        uid = [f"UID:uid-{n}"] if n % 2 == 0 else []
        cards.append(
            vcard(
                f"FN:Person {n}",
                f"N:{n};Person;;;",
                f"EMAIL;TYPE=INTERNET:person{n}@example.org",
                f"TEL;TYPE=CELL:+1 212 555 {n:04d}",
                *uid,
            )
        )
    return "".join(cards)


BROKEN = vcard("FN", 'EMAIL;TYPE="unterminated:nobody', "NOTE:no usable name")


def connector(path: Path, batch_size: int = 500, me: Me = ME) -> VcardConnector:
    return VcardConnector("phone", path, me, batch_size=batch_size)


def read(path: Path, me: Me = ME) -> tuple[list[ContactCard], list[Skip]]:
    """Cards and skips; a file refused as a whole (nothing usable) is one skip naming it."""
    cards: list[ContactCard] = []
    skips: list[Skip] = []
    try:
        for batch in connector(path, me=me).batches(None):
            cards.extend(batch.cards)
            skips.extend(batch.skipped)
    except FatalError as exc:
        skips.append(Skip(path.name, str(exc)))
    return cards, skips


def one(tmp_path: Path, text: str | bytes, name: str = "one.vcf") -> ContactCard:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    cards, skips = read(path)
    assert not skips, skips
    assert len(cards) == 1, cards
    return cards[0]


class TestVcardContract(ConnectorContract):
    source = "vcard"
    access_fix = "fix `path`"

    def make_connector_without_access(self, tmp_path: Path) -> Connector:
        return connector(tmp_path / "gone.vcf")

    def make_connector(self, tmp_path: Path) -> Connector:
        path = tmp_path / "export.vcf"
        path.write_text(people(10), encoding="utf-8")
        return connector(path, batch_size=3)

    def make_connector_with_bad_record(self, tmp_path: Path) -> Connector:
        text = people(10)
        middle = text.index("BEGIN:VCARD", len(text) // 2)
        path = tmp_path / "export.vcf"
        path.write_text(text[:middle] + BROKEN + text[middle:], encoding="utf-8")
        return connector(path, batch_size=3)


# --- cursor -------------------------------------------------------------------------------


def test_cursor_is_digest_and_done(tmp_path: Path) -> None:
    path = tmp_path / "a.vcf"
    path.write_text(people(7), encoding="utf-8")
    batches = drain(connector(path, batch_size=3).batches(None))
    cursors = [json.loads(b.cursor or "") for b in batches]
    assert [c["done"] for c in cursors] == [3, 6, 7]
    assert len({c["digest"] for c in cursors}) == 1
    assert [b.seen for b in batches] == [3, 3, 1]


def test_changed_file_is_read_again_and_window_ignores_cursor(tmp_path: Path) -> None:
    path = tmp_path / "a.vcf"
    path.write_text(people(4), encoding="utf-8")
    last = drain(connector(path).batches(None))[-1].cursor
    assert keys_of(drain(connector(path).batches(last))) == []
    window = Window(since=datetime(2026, 1, 1, tzinfo=UTC))
    assert len(keys_of(drain(connector(path).batches(last, window)))) == 4
    path.write_text(people(5), encoding="utf-8")
    assert len(keys_of(drain(connector(path).batches(last)))) == 5
    # An unreadable cursor is a named failure, not a silent re-read (connectors.cursor).
    with pytest.raises(FatalError, match="backfill --account phone"):
        drain(connector(path).batches("not json"))


def test_empty_folder_is_a_named_failure(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="holds no vCard"):
        drain(connector(tmp_path).batches(None))


def test_missing_path_is_fatal_and_names_account(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="phone"):
        drain(connector(tmp_path / "nope.vcf").batches(None))


def test_build_reads_the_account_path(tmp_path: Path) -> None:
    (tmp_path / "x.vcf").write_text(people(2), encoding="utf-8")
    account = VcardAccount(name="book", kind="vcard", path=str(tmp_path / "x.vcf"))
    built = build(account, ME, BuildOptions())
    assert built.account == "book"
    assert all(k.startswith("vcard:book:") for k in keys_of(drain(built.batches(None))))


# --- files and framing --------------------------------------------------------------------


def test_broken_card_in_the_middle_is_named_and_others_load(tmp_path: Path) -> None:
    path = tmp_path / "mixed.vcf"
    text = vcard("FN:First") + BROKEN + vcard("FN:Last") + "BEGIN:VCARD\r\nFN:Truncated\r\n"
    path.write_text(text, encoding="utf-8")
    batches = drain(connector(path).batches(None))
    cards = [c.name for b in batches for c in b.cards]
    skips = {s.where: s.reason for b in batches for s in b.skipped}
    assert cards == ["First", "Last"]
    assert skips["mixed.vcf:5"] == "card has no name, email or phone"
    assert "FN line" in skips["mixed.vcf:7"]
    assert "without END:VCARD" in skips["mixed.vcf:15"]
    assert sum(b.seen for b in batches) == 4


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.vcf").write_text(vcard("FN:Zed"), encoding="utf-8")
    (tmp_path / "a.VCF").write_text(vcard("FN:Ann"), encoding="utf-8")
    (tmp_path / "c.vcf").write_text(vcard("FN:Cy") + vcard("FN:Cy"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text(vcard("FN:Ignored"), encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.vcf").write_text(vcard("FN:Hidden"), encoding="utf-8")
    (tmp_path / "junk.vcf").write_text("hello\n", encoding="utf-8")
    cards, skips = read(tmp_path)
    assert [c.name for c in cards] == ["Ann", "Zed", "Cy", "Cy"]
    assert [c.origin for c in cards] == ["a.VCF:1", "b/z.vcf:1", "c.vcf:1", "c.vcf:5"]
    assert len({c.key for c in cards}) == 4
    assert skips == [Skip("junk.vcf", "no BEGIN:VCARD found; not a vCard export")]


def test_shared_uid_is_disambiguated_deterministically(tmp_path: Path) -> None:
    path = tmp_path / "dup.vcf"
    path.write_text(vcard("FN:A", "UID:same") + vcard("FN:B", "UID:same"), encoding="utf-8")
    first = [c.key for c in read(path)[0]]
    assert first == ["vcard:phone:same", "vcard:phone:same#2"]
    assert [c.key for c in read(path)[0]] == first


def test_bom_utf16_and_legacy_charsets(tmp_path: Path) -> None:
    assert one(tmp_path, b"\xef\xbb\xbf" + vcard("FN:Zoë").encode(), "bom.vcf").name == "Zoë"
    utf16 = vcard("FN:Jürgen", "EMAIL:j@example.org").encode("utf-16")
    assert one(tmp_path, utf16, "u16.vcf").name == "Jürgen"
    latin = vcard("FN;CHARSET=ISO-8859-1:Jos\xe9", version="2.1").encode("latin-1")
    assert one(tmp_path, latin, "latin.vcf").name == "José"
    sjis = vcard("N;CHARSET=SHIFT_JIS:安藤;ロイド;;;", version="2.1").encode("shift_jis")
    assert one(tmp_path, sjis, "sjis.vcf").name == "ロイド 安藤"
    undeclared = vcard("FN:Fran\xe7ois", version="2.1").encode("latin-1")
    assert one(tmp_path, undeclared, "cp1252.vcf").name == "François"


# --- properties ---------------------------------------------------------------------------


def test_qp_soft_line_breaks_with_charset(tmp_path: Path) -> None:
    card = one(
        tmp_path,
        vcard(
            "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91o=C3=B1o;Jos=",
            "=C3=A9;;;",
            "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9 =C3=91o=",
            "=C3=B1o",
            "NOTE;QUOTED-PRINTABLE:stray =80 byte=0D=0A=",
            "still the note",
            "TEL;CELL;VOICE:+1 (415) 555-0123",
            version="2.1",
        ),
    )
    assert card.name == "José Ñoño"
    assert card.phones == ("+14155550123",)


def test_qp_value_ending_in_soft_break_does_not_swallow_end(tmp_path: Path) -> None:
    text = vcard("FN:Ann", "NOTE;ENCODING=QUOTED-PRINTABLE:broken=", version="2.1")
    (tmp_path / "two.vcf").write_text(text + vcard("FN:Bo"), encoding="utf-8")
    cards, skips = read(tmp_path / "two.vcf")
    assert [c.name for c in cards] == ["Ann", "Bo"] and not skips


def test_stray_byte_in_qp_name_is_replaced_not_fatal(tmp_path: Path) -> None:
    text = vcard("FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Ann=80e", version="2.1")
    assert one(tmp_path, text).name == "Ann\ufffde"


def test_apple_item_groups_lowercase_and_several_identities(tmp_path: Path) -> None:
    card = one(
        tmp_path,
        vcard(
            "fn:Ada Lovelace",
            "item1.EMAIL;type=INTERNET;type=pref:Ada.Lovelace@Example.ORG",
            "item1.X-ABLabel:_$!<Other>!$_",
            "ITEM2.email;type=INTERNET:a.d.a+tag@googlemail.com",
            "email:not-an-address",
            "EMAIL:ada.lovelace@example.org",
            "TEL;type=CELL;type=VOICE;type=pref:(212) 555-0100",
            "item3.TEL:+44 20 7946 0958",
            "TEL;VALUE=uri;TYPE=work:tel:+1-555-555-0101;ext=12",
            "TEL;TYPE=FAX:212 555 0199",
            "TEL:12",
        ),
    )
    assert card.emails == ("ada.lovelace@example.org", "ada@gmail.com")
    assert card.phones == ("+12125550100", "+442079460958", "+15555550101")


def test_fn_with_unescaped_and_escaped_comma(tmp_path: Path) -> None:
    assert one(tmp_path, vcard("FN:Doe, John"), "a.vcf").name == "Doe, John"
    assert one(tmp_path, vcard("FN:Doe\\, John\\nJr."), "b.vcf").name == "Doe, John Jr."
    built = one(tmp_path, vcard("N:Doe;John;Q.,R.;Dr.;III"), "c.vcf")
    assert built.name == "Dr. John Q. R. Doe III"


def test_categories_stripped_and_deduplicated(tmp_path: Path) -> None:
    card = one(
        tmp_path,
        vcard("FN:C", "CATEGORIES: close , friends,Close", "CATEGORIES:inner\\, work,,friends"),
    )
    assert card.categories == ("close", "friends", "inner", "work")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1985-04-15", "1985-04-15"),
        ("19850415", "1985-04-15"),
        ("--0415", "--04-15"),
        ("--04-15", "--04-15"),
        ("1985-04-15T08:30:00Z", "1985-04-15"),
        ("16040415", "--04-15"),
        ("April 15", "--04-15"),
        ("15 April 1985", "1985-04-15"),
        ("Apr 15, 1985", "1985-04-15"),
        ("--0229", "--02-29"),
        ("1985-02-30", None),
        ("circa 1800", None),
        ("1985-04", None),
        ("", None),
    ],
)
def test_birthday_variants(raw: str, expected: str | None) -> None:
    assert parse_birthday(raw) == expected


def test_unparseable_birthday_is_none_not_a_skip(tmp_path: Path) -> None:
    assert one(tmp_path, vcard("FN:B", "BDAY;VALUE=text:someday")).birthday is None
    assert one(tmp_path, vcard("FN:B", "BDAY:--0203"), "b.vcf").birthday == "--02-03"


def test_organisations(tmp_path: Path) -> None:
    kind = one(tmp_path, vcard("FN:ACME Inc.", "KIND:org", version="4.0"), "a.vcf")
    assert kind.is_org and kind.name == "ACME Inc."
    apple = one(tmp_path, vcard("FN:Shop", "N:;;;;", "X-ABShowAs:COMPANY"), "b.vcf")
    assert apple.is_org
    org_only = one(tmp_path, vcard("ORG:Bike Shop;Sales", "TEL:+1 212 555 0100"), "c.vcf")
    assert org_only.is_org and org_only.name == "Bike Shop"
    person = one(tmp_path, vcard("FN:Ann Lee", "ORG:Bike Shop"), "d.vcf")
    assert not person.is_org


def test_nameless_identityless_group_and_own_cards_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "s.vcf"
    path.write_text(
        vcard("NOTE:nothing", "EMAIL:bad@", "TEL:1")
        + vcard("FN:Family", "KIND:group", "MEMBER:urn:uuid:x", version="4.0")
        + vcard("FN:Me Myself", "EMAIL:Me@Example.com", "TEL:+1 415 555 0000")
        + vcard("EMAIL:only@example.org"),
        encoding="utf-8",
    )
    cards, skips = read(path)
    assert [c.emails for c in cards] == [("only@example.org",)]
    assert cards[0].name is None
    assert [(s.where, s.reason) for s in skips] == [
        ("s.vcf:1", "card has no name, email or phone"),
        ("s.vcf:7", "contact group card (KIND:group), not a person"),
        ("s.vcf:13", "your own card (only your addresses/numbers)"),
    ]


def test_key_without_uid_is_stable_and_depends_on_file_and_identity(tmp_path: Path) -> None:
    a = one(tmp_path, vcard("FN:Ann", "EMAIL:ann@example.org"), "a.vcf")
    again = one(tmp_path, vcard("FN:  ann ", "EMAIL:ANN@example.org"), "a.vcf")
    other_file = one(tmp_path, vcard("FN:Ann", "EMAIL:ann@example.org"), "b.vcf")
    assert a.key == again.key != other_file.key
    long_uid = one(tmp_path, vcard("FN:U", "UID:" + "x" * 300), "c.vcf")
    assert len(long_uid.key) < 120


# --- the shared corpus --------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[list[ContactCard], list[Skip]]]:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    found: dict[str, tuple[list[ContactCard], list[Skip]]] = {}
    for path in sorted(CORPUS.iterdir()):
        if path.is_file():
            found[path.name] = read(path, Me(frozenset(), default_region="US"))
    return found


def test_every_corpus_file_parses_or_is_skipped_with_a_reason(
    corpus: dict[str, tuple[list[ContactCard], list[Skip]]],
) -> None:
    summary = {"full": 0, "partial": 0, "skipped": 0}
    for name, (cards, skips) in corpus.items():
        assert all(s.where.startswith(name) and s.reason for s in skips), (name, skips)
        assert cards or skips, name
        state = "skipped" if not cards else "partial" if skips else "full"
        summary[state] += 1
        print(f"{state:8} {name}: {len(cards)} cards; " + "; ".join(s.reason for s in skips))
    print(summary)
    assert summary["full"] >= 60


def test_corpus_specifics(corpus: dict[str, tuple[list[ContactCard], list[Skip]]]) -> None:
    def cards(name: str) -> list[ContactCard]:
        return corpus[name][0]

    assert [c.name for c in cards("thunderbird_export_v21_lowercase.vcf")] == [
        "contact number one",
        "contact number two",
    ]
    assert cards("ezvcard_rfc6350_example.vcf")[0].birthday == "--02-03"
    assert cards("radicale_cardbook_bday_1604.vcf")[0].birthday == "--01-01"
    assert cards("khard_org.vcf")[0].is_org
    assert cards("kcontacts_apple_osx_item_adr.vcf")[0].is_org
    assert cards("aosp_v21_shift_jis_qp.vcf")[0].name == "安藤 ロイド 1"
    assert cards("ezvcard_iphone_ios5.vcf")[0].emails == ("john.doe@ibm.com",)
    assert cards("ezvcard_thunderbird_mfab.vcf")[0].categories == (
        "category1",
        "category2",
        "category3",
    )
    assert cards("ezvcard_issue114_adr_label.vcf")[0].name == "Dummy, Dummy"
    assert len(cards("ezvcard_android_v21_qp.vcf")) == 6
    refused = corpus["khard_unparsable.vcf"][1][0]
    assert refused.where == "khard_unparsable.vcf" and "first at khard_unparsable.vcf:1" in (
        refused.reason
    )
    assert [c.name for c in cards("aosp_v21_nested_vcards.vcf")] == ["parent", "nest1", "nest2"]
