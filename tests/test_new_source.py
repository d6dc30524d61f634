"""Adding a source is its package, its tests and one line in connectors/registry.py.

Proof: a toy source defined entirely in this file — its own settings model, connector and
cursor — is registered (the one line), and then a config with `kind = "toy"` validates, syncs
through the real sync loop into the store, resumes from its cursor, takes its provider slot and
gets its `keepwarm auth toy` command, with no other edit anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli import auth
from connectors import registry
from connectors.base import Connector, Me, Window
from connectors.cursor import CursorFormat, Fields
from connectors.source import Auth, AuthFlag, AuthRequest, BuildOptions, Source
from ingest.limits import limit_names
from ingest.sync import sync_account_now
from models.config import ConfigError, config_from_dict
from models.records import Batch, Interaction, Participant
from models.schema import InteractionRow
from models.settings import AccountSettings
from models.store import Store

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# -- the toy source: what a new package under connectors/ would hold ------------------------


class ToyAccount(AccountSettings):
    kind: Literal["toy"]
    friends: list[str]


@dataclass(frozen=True)
class Read:
    """The cursor: how many friends' messages are stored."""

    done: int


def _dump(read: Read) -> Fields:
    return {"done": read.done}


def _load(fields: Fields) -> Read:
    return Read(int(fields["done"]))


CURSOR = CursorFormat(source="toy", version=1, dump=_dump, load=_load)


class ToyConnector:
    """One message you sent to each friend, a batch of `batch_size` at a time."""

    def __init__(self, account: ToyAccount, me: Me, options: BuildOptions) -> None:
        self.account = account.name
        self.friends = account.friends
        self.me = me
        self.batch_size = options.batch_size
        self.now = options.now

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        saved = CURSOR.decode(cursor, self.account) if window is None else None
        done = saved.done if saved is not None else 0
        while done < len(self.friends):
            chunk = self.friends[done : done + self.batch_size]
            batch = Batch(seen=len(chunk))
            for offset, friend in enumerate(chunk):
                batch.interactions.append(
                    Interaction(
                        key=f"toy:{self.account}:{done + offset}",
                        source="toy",
                        account=self.account,
                        occurred_at=self.now(),
                        channel="email",
                        direction="outbound",
                        participants=(Participant("email", friend, "to"),),
                        group_size=1,
                    )
                )
            done += len(chunk)
            batch.cursor = CURSOR.encode(Read(done))
            yield batch


def build(account: ToyAccount, me: Me, options: BuildOptions) -> Connector:
    return ToyConnector(account, me, options)


def limit_key(account: ToyAccount) -> str:
    return f"toy-api-{account.name}"


def login(account: ToyAccount, request: AuthRequest) -> str:
    return f"{account.name}: logged in{' loudly' if request.flag('loud') else ''}"


TOY = Source(
    kind="toy",
    settings=ToyAccount,
    build=build,
    limit_key=limit_key,
    auth=Auth(login, help="Log in to the toy service.", flags=(AuthFlag("loud", "Say so."),)),
)

# -- the test -------------------------------------------------------------------------------


def _config(url: str, **account: Any) -> dict[str, Any]:
    return {
        "store": {"url": url},
        "me": {"emails": ["me@example.com"]},
        "accounts": [{"name": "play", "kind": "toy", **account}],
    }


def test_a_registered_source_is_configured_and_synced_with_no_other_edit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    friends = ["ada@example.org", "bo@example.org", "cy@example.org"]
    with registry.registered(TOY):
        config = config_from_dict(_config(url, friends=friends))
        account = config.account("play")
        assert isinstance(account, ToyAccount) and account.friends == friends
        assert limit_names(account) == ["toy-api-play"]

        store = Store(url)
        first = sync_account_now(config, store, "play")
        assert (first.kind, first.batches, first.inserted) == ("toy", 1, 3)
        with store.session() as session:
            keys = sorted(session.scalars(select(InteractionRow.key)))
        assert keys == ["toy:play:0", "toy:play:1", "toy:play:2"]

        state = store.sync_state("play")
        assert state is not None and CURSOR.decode(state.cursor, "play") == Read(3)
        again = sync_account_now(config, store, "play")  # resumes from its cursor
        assert (again.batches, again.seen, again.inserted) == (0, 0, 0)

        more = config_from_dict(_config(url, friends=[*friends, "di@example.org"]))
        assert sync_account_now(more, store, "play").inserted == 1
        store.close()


def test_its_login_is_a_keepwarm_auth_command(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[accounts]]\nname = "play"\nkind = "toy"\nfriends = []\n')
    with registry.registered(TOY):
        group = auth.commands(registry.sources())
        result = CliRunner().invoke(group, ["toy", "play", "--loud", "--config", str(path)])
        assert result.exit_code == 0, result.output
        assert "play: logged in loudly" in result.output
        gmail = CliRunner().invoke(group, ["gmail", "play", "--config", str(path)])
        assert gmail.exit_code == 2 and "is a toy account, not gmail" in gmail.output


def test_its_settings_mistakes_name_the_key_like_any_source() -> None:
    with registry.registered(TOY), pytest.raises(ConfigError, match=r"accounts\.0\.toy\.friends"):
        config_from_dict(_config("sqlite://"))


def test_an_unregistered_kind_is_refused_with_the_kinds_there_are() -> None:
    with pytest.raises(ConfigError, match=r"'toy' .* 'vcard', 'mbox', 'ics', 'gmail', 'outlook'"):
        config_from_dict(_config("sqlite://", friends=[]))


def test_a_declaration_must_agree_with_its_settings_and_kinds_are_unique() -> None:
    with pytest.raises(TypeError, match=r'ToyAccount.kind must be Literal\["play"\]'):
        Source(kind="play", settings=ToyAccount, build=build)
    duplicate = Source(kind="vcard", settings=registry.source_for("vcard").settings, build=build)
    with pytest.raises(ValueError, match="already registered"), registry.registered(duplicate):
        pass
