"""vCard exports (one .vcf or a folder of them) as contact cards: the source's declaration."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.files import check_path
from connectors.source import BuildOptions, Source
from connectors.vcard.settings import VcardAccount


def build(account: VcardAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.vcard.connector import VcardConnector  # vobject only when reading

    return VcardConnector(account.name, account.resolved_path(), me, batch_size=options.batch_size)


SOURCE = Source(kind="vcard", settings=VcardAccount, build=build, check=check_path)
