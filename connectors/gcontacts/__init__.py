"""Google Contacts through the People API (v1): your contacts as cards, their contact groups as
categories (so tiers match group names, as vCard CATEGORIES do) — the source's declaration.
Google's client libraries load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.common.google_account import check_grant, google_auth, grant_key
from connectors.gcontacts.settings import GcontactsAccount
from connectors.source import BuildOptions, Source


def build(account: GcontactsAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.gcontacts.connector import GcontactsConnector

    return GcontactsConnector(account, me, batch_size=options.batch_size)


def limit_key(account: GcontactsAccount) -> str:
    """People's read quota is per user per project: one People sync per grant at a time."""
    return f"google-people-{grant_key(account)}"


SOURCE = Source(
    kind="gcontacts",
    settings=GcontactsAccount,
    build=build,
    limit_key=limit_key,
    check=check_grant,
    auth=google_auth(GcontactsAccount),
)
