"""Every source keepwarm reads, one line each. Adding a source is a package under connectors/
(declaring `SOURCE`, see connectors.source), its tests, and one line in `SOURCES`.

Everything else derives from this list: the account kinds the config accepts (models.config),
which connector reads an account (`build_connector`), the provider quota slots
(ingest.limits) and the `keepwarm auth <kind>` commands (cli.auth). The packages' `__init__`s
are light, so importing this costs no client library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from connectors import gcal, gcontacts, gmail, ics, mbox, outlook, vcard
from connectors.base import Connector, Me
from connectors.source import DEFAULT_OPTIONS, AnySource, BuildOptions
from models.settings import AccountSettings

SOURCES: tuple[AnySource, ...] = (
    vcard.SOURCE,
    mbox.SOURCE,
    ics.SOURCE,
    gmail.SOURCE,
    outlook.SOURCE,
    gcal.SOURCE,
    gcontacts.SOURCE,
)

_added: list[AnySource] = []  # only through `registered`, below


def sources() -> tuple[AnySource, ...]:
    return SOURCES + tuple(_added)


def source_for(kind: str) -> AnySource:
    for source in sources():
        if source.kind == kind:
            return source
    known = ", ".join(source.kind for source in sources())
    raise LookupError(f"no source reads kind {kind!r} (known: {known})")


def build_connector(
    account: AccountSettings, me: Me, options: BuildOptions = DEFAULT_OPTIONS
) -> Connector:
    """The connector of the account's source, built from its settings."""
    return source_for(account.kind).connector(account, me, options)


@contextmanager
def registered(source: AnySource) -> Iterator[AnySource]:
    """Add a source for the duration of the block: the test that proves a new source needs
    nothing but its package and its line here uses it with a source defined in the test."""
    if any(known.kind == source.kind for known in sources()):
        raise ValueError(f"a source of kind {source.kind!r} is already registered")
    _added.append(source)
    try:
        yield source
    finally:
        _added.remove(source)
