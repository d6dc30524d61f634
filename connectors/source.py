"""What a source declares about itself, so that adding one touches nothing outside it.

Each package under connectors/ (vcard, mbox, ics, gmail, outlook, …) ends its `__init__.py`
with one `SOURCE = Source(...)`: its `kind`, its account settings model, how to build its
connector, which provider quota it draws on, and its interactive login, if any. The package's
`__init__` stays light (pydantic settings only); client libraries are imported inside `build`
and the auth hook, so `keepwarm report` never pays for Google's or Microsoft's.

connectors.registry lists the sources; the config's account kinds, `build_connector`,
provider slots and `keepwarm auth <kind>` all derive from that list. The rest of keepwarm holds
an account as `AccountSettings` and meets a source as `AnySource`; `Source` narrows the
account to its own settings type (an isinstance check) before calling the source's code.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from connectors.base import Connector, Me
from models.settings import AccountSettings

AccountT = TypeVar("AccountT", bound=AccountSettings)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a connector has read: `done` of `total` `unit`s. `total` is None when the source
    cannot know it (a delta feed); where it can (the bytes of an mbox, Gmail's thread count),
    the sync loop turns it into an ETA."""

    done: int
    total: int | None = None
    unit: str = "records"


def no_progress(_progress: Progress) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How a connector is asked for: the same for every source.

    `batch_size` bounds the records per Batch (a Graph page size for Outlook); `now` is the
    clock that places sliding windows, injectable so tests and `--as-of` runs see a fixed one.
    `progress` is called (from the thread reading the source, cheaply and often) with how far
    the read has got; the sync loop passes it on to whoever draws it. Sources that do not call
    it still get counts per batch from the sync loop.
    New knobs are added here, with a default, never per source."""

    batch_size: int = 500
    now: Callable[[], datetime] = utc_now
    progress: Callable[[Progress], None] = no_progress


DEFAULT_OPTIONS = BuildOptions()


@dataclass(frozen=True, slots=True)
class AuthFlag:
    """A yes/no option of a source's login, shown as `--<name>` (underscores as dashes) on
    `keepwarm auth <command>`; `name` is a Python identifier (`no_browser`)."""

    name: str
    help: str


def _print(line: str) -> None:
    print(line, flush=True)


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """What `keepwarm auth <command> ACCOUNT` was asked for: which flags are on, the config's
    other accounts (`peers`: a login may serve several, e.g. every Google account sharing one
    token file), and how to talk to the user while it waits (`say` a line, `ask` for one)."""

    flags: frozenset[str] = frozenset()
    peers: tuple[AccountSettings, ...] = ()
    say: Callable[[str], None] = _print
    ask: Callable[[str], str] = input

    def flag(self, name: str) -> bool:
        return name in self.flags


@dataclass(frozen=True, slots=True)
class Auth(Generic[AccountT]):
    """A source's interactive login. `run` returns the line to print (where the token went).

    `command` names the login (`keepwarm auth <command>`; default: the source's kind) and
    `aliases` other names for it. Sources that declare the same command share one login: its
    accounts are any of theirs, its flags the union of theirs (e.g. `auth google` for gmail,
    gcal and gcontacts accounts)."""

    run: Callable[[AccountT, AuthRequest], str]
    help: str
    flags: tuple[AuthFlag, ...] = ()
    command: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthCommand:
    """A source's login as the command line sees it: for any AccountSettings of its kind."""

    kind: str
    help: str
    flags: tuple[AuthFlag, ...]
    run: Callable[[AccountSettings, AuthRequest], str]
    command: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.command or self.kind


def no_limit(_account: AccountSettings) -> None:
    """Sources that read local files draw on no provider quota."""
    return None


def no_check(_account: AccountSettings) -> None:
    """Nothing to check before a sync starts."""
    return None


class AnySource(Protocol):
    """A source whatever its settings type: what the registry lists and the rest uses."""

    @property
    def kind(self) -> str: ...

    @property
    def settings(self) -> type[AccountSettings]: ...

    def connector(self, account: AccountSettings, me: Me, options: BuildOptions) -> Connector: ...

    def limit(self, account: AccountSettings) -> str | None: ...

    def auth_command(self) -> AuthCommand | None: ...

    def preflight(self, account: AccountSettings) -> str | None: ...


@dataclass(frozen=True)
class Source(Generic[AccountT]):
    """One source's declaration; see the module docstring.

    `limit_key(account)` names the provider quota the account draws on (one sync at a time
    per key, across processes; see ingest.limits), None for none. `check(account)` says, without
    the network and in one line, why a sync of the account cannot start (no token yet, a
    missing export), None when it can: `sync` and `doctor` ask before anything runs."""

    kind: str
    settings: type[AccountT]
    build: Callable[[AccountT, Me, BuildOptions], Connector]
    limit_key: Callable[[AccountT], str | None] = no_limit
    auth: Auth[AccountT] | None = field(default=None)
    check: Callable[[AccountT], str | None] = no_check

    def __post_init__(self) -> None:
        declared = typing.get_args(self.settings.model_fields["kind"].annotation)
        if declared != (self.kind,):
            raise TypeError(
                f"source {self.kind!r}: {self.settings.__name__}.kind must be "
                f'Literal["{self.kind}"], not {declared or "unrestricted"}'
            )

    def own(self, account: AccountSettings) -> AccountT:
        """The account as this source's settings; anything else is a programming error."""
        if not isinstance(account, self.settings):
            raise TypeError(
                f"account {account.name!r} is a {account.kind} account, "
                f"not {self.kind} ({type(account).__name__})"
            )
        return account

    def connector(self, account: AccountSettings, me: Me, options: BuildOptions) -> Connector:
        return self.build(self.own(account), me, options)

    def limit(self, account: AccountSettings) -> str | None:
        return self.limit_key(self.own(account))

    def preflight(self, account: AccountSettings) -> str | None:
        return self.check(self.own(account))

    def auth_command(self) -> AuthCommand | None:
        auth = self.auth
        if auth is None:
            return None

        def run(account: AccountSettings, request: AuthRequest) -> str:
            return auth.run(self.own(account), request)

        return AuthCommand(self.kind, auth.help, auth.flags, run, auth.command, auth.aliases)
