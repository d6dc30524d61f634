"""An export that vanished, became empty, unreadable or a folder fails its account by name,
and the store keeps every record it had (a sweep never follows a read that found nothing)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.errors import FatalError
from ingest.sync import sync_account_now
from models.config import Config, config_from_dict
from models.schema import CardRow, InteractionRow
from models.store import Store

VCARD = "BEGIN:VCARD\nVERSION:3.0\nUID:{n}\nFN:Person {n}\nEMAIL:p{n}@example.com\nEND:VCARD\n"
EVENT = (
    "BEGIN:VEVENT\nUID:e{n}\nDTSTART:2026110{d}T090000Z\nDTEND:2026110{d}T100000Z\n"
    "ORGANIZER:mailto:me@example.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:p{n}@example.com\n"
    "END:VEVENT\n"
)
MESSAGE = (
    "From me@example.com Mon Nov  2 09:00:00 2026\nFrom: me@example.com\nTo: p{n}@example.com\n"
    "Date: Mon, 2 Nov 2026 09:0{n}:00 +0000\nMessage-ID: <m{n}@example.com>\n"
    "Subject: hi\n\nbody\n\n"
)


def write_exports(root: Path) -> dict[str, Path]:
    paths = {"book": root / "contacts.vcf", "cal": root / "calendar.ics", "mail": root / "a.mbox"}
    paths["book"].write_text("".join(VCARD.format(n=n) for n in range(5)))
    events = "".join(EVENT.format(n=n, d=n + 1) for n in range(5))
    paths["cal"].write_text(f"BEGIN:VCALENDAR\nVERSION:2.0\n{events}END:VCALENDAR\n")
    paths["mail"].write_text("".join(MESSAGE.format(n=n) for n in range(5)))
    return paths


def make_config(store_url: str, paths: dict[str, Path]) -> Config:
    kinds = {"book": "vcard", "cal": "ics", "mail": "mbox"}
    return config_from_dict(
        {
            "store": {"url": store_url},
            "me": {"emails": ["me@example.com"]},
            "accounts": [
                {"name": name, "kind": kinds[name], "path": str(path), "lookback_days": 20000}
                if name == "cal"
                else {"name": name, "kind": kinds[name], "path": str(path)}
                for name, path in paths.items()
            ],
        }
    )


def counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        cards = session.scalar(select(func.count()).select_from(CardRow)) or 0
        interactions = session.scalar(select(func.count()).select_from(InteractionRow)) or 0
    return cards, interactions


def emptied(path: Path) -> None:
    path.write_bytes(b"")


def removed(path: Path) -> None:
    path.unlink()


def made_a_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def made_unreadable(path: Path) -> None:
    path.chmod(0)


def dangling_link(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.with_name("gone-" + path.name))


def blanked(path: Path) -> None:
    """Not empty, but no record left in it (a truncated or garbled copy)."""
    path.write_text("\n\n   \n# nothing here\n")


DAMAGE: list[Callable[[Path], None]] = [
    emptied,
    removed,
    made_a_folder,
    dangling_link,
    blanked,
    pytest.param(  # type: ignore[list-item]
        made_unreadable,
        marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file"),
    ),
]


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("account", ["book", "cal", "mail"])
def test_a_damaged_export_fails_its_account_and_keeps_the_store(
    tmp_path: Path, sqlite_url: str, account: str, damage: Callable[[Path], None]
) -> None:
    paths = write_exports(tmp_path)
    config = make_config(sqlite_url, paths)
    store = Store(sqlite_url)
    for name in paths:
        sync_account_now(config, store, name)
    before = counts(store)
    assert before == (5, 10)
    damage(paths[account])
    with pytest.raises(FatalError) as failure:
        sync_account_now(config, store, account)
    message = str(failure.value)
    assert f"account {account!r}" in message and paths[account].name in message
    assert "Nothing was changed" in message or "nothing was changed" in message
    assert counts(store) == before
    # the others still sync, and once the export is back the account syncs again
    for name in paths:
        if name != account:
            sync_account_now(config, store, name)
    target = paths[account]
    if target.is_dir() and not target.is_symlink():
        target.rmdir()
    elif target.exists() or target.is_symlink():
        target.unlink()
    (tmp_path / "fresh").mkdir()
    shutil.copy(write_exports(tmp_path / "fresh")[account], target)
    sync_account_now(config, store, account)
    assert counts(store) == before
    store.close()


def test_an_empty_folder_and_an_empty_mbox_are_named_on_a_first_sync(
    tmp_path: Path, sqlite_url: str
) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "a.mbox").write_bytes(b"")
    config = make_config(sqlite_url, {"book": tmp_path / "book", "mail": tmp_path / "a.mbox"})
    store = Store(sqlite_url)
    with pytest.raises(FatalError, match="holds no vCard"):
        sync_account_now(config, store, "book")
    with pytest.raises(FatalError, match="is empty"):
        sync_account_now(config, store, "mail")
    store.close()


def test_the_last_lines_of_a_sync_name_every_account_that_failed(tmp_path: Path) -> None:
    """One not authorized (stopped before the sync), one empty export (failed in it), one fine:
    the closing lines name both failures, each with its fix; the good account is stored."""
    from typer.testing import CliRunner

    from cli.main import app

    (tmp_path / "empty.mbox").write_bytes(b"")
    (tmp_path / "book.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.org\r\nEND:VCARD\r\n"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
        f'[[accounts]]\nname = "personal"\nkind = "gmail"\naddress = "me@example.com"\n'
        f'token_file = "{tmp_path / "none.json"}"\n'
        f'[[accounts]]\nname = "mail"\nkind = "mbox"\npath = "{tmp_path / "empty.mbox"}"\n'
        f'[[accounts]]\nname = "book"\nkind = "vcard"\npath = "{tmp_path / "book.vcf"}"\n'
    )
    result = CliRunner().invoke(app, ["sync", "--config", str(config)])
    assert result.exit_code == 1, result.output
    closing = result.output[result.output.rindex("some accounts failed") :]
    assert "account 'personal': not authorized yet" in closing
    assert "keepwarm auth gmail personal" in closing
    assert "account 'mail':" in closing and "is empty (0 bytes" in closing
    assert "account 'mail': account 'mail'" not in closing and "book" not in closing
