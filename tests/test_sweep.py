"""Records deleted at the source disappear from the store after the next full read."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ingest.sync import sync_account_now
from models.config import config_from_dict
from models.schema import CardRow, InteractionRow
from models.store import Store

VCARD = "BEGIN:VCARD\nVERSION:3.0\nUID:{uid}\nFN:{name}\nEMAIL:{email}\nEND:VCARD\n"
EVENT = (
    "BEGIN:VEVENT\nUID:{uid}\nDTSTART:20261110T090000Z\nDTEND:20261110T100000Z\n"
    "ORGANIZER:mailto:me@example.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{email}\nEND:VEVENT\n"
)


def test_deleted_cards_and_events_are_swept(tmp_path: Path, store_url: str) -> None:
    book, cal = tmp_path / "book", tmp_path / "cal.ics"
    book.mkdir()
    (book / "a.vcf").write_text(VCARD.format(uid="a", name="Ada", email="ada@example.com"))
    (book / "b.vcf").write_text(VCARD.format(uid="b", name="Bo", email="bo@example.com"))

    def calendar(*uids: str) -> None:
        events = "".join(EVENT.format(uid=u, email=f"{u}@example.com") for u in uids)
        cal.write_text(f"BEGIN:VCALENDAR\nVERSION:2.0\n{events}END:VCALENDAR\n")

    calendar("e1", "e2")
    config = config_from_dict(
        {
            "store": {"url": store_url},
            "me": {"emails": ["me@example.com"]},
            "accounts": [
                {"name": "book", "kind": "vcard", "path": str(book)},
                {"name": "cal", "kind": "ics", "path": str(cal), "lookback_days": 20000},
            ],
        }
    )
    store = Store(store_url)

    def keys() -> set[str]:
        with store.session() as session:
            cards = set(session.scalars(select(CardRow.key)))
            return cards | set(session.scalars(select(InteractionRow.key)))

    for account in ("book", "cal"):
        sync_account_now(config, store, account)
    assert {k.rsplit(":", 1)[0] if k.startswith("ics") else k for k in keys()} == {
        "vcard:book:a",
        "vcard:book:b",
        "ics:cal:e1",
        "ics:cal:e2",
    }
    (book / "b.vcf").unlink()
    calendar("e1")
    for account in ("book", "cal"):
        sync_account_now(config, store, account)
    assert {k.rsplit(":", 1)[0] if k.startswith("ics") else k for k in keys()} == {
        "vcard:book:a",
        "ics:cal:e1",
    }
    # Unchanged sources: nothing is re-read and nothing is removed.
    again = sync_account_now(config, store, "book")
    assert (again.cards, again.removed) == (0, 0)
    store.close()
