"""Outlook / Microsoft 365 calendars (and, opt-in, mail headers) through Microsoft Graph: the
source's declaration. msal and requests load only in `build` and the login."""

from __future__ import annotations

from connectors.base import Connector, Me
from connectors.outlook.settings import OutlookAccount
from connectors.source import Auth, AuthRequest, BuildOptions, Source


def build(account: OutlookAccount, me: Me, options: BuildOptions) -> Connector:
    from connectors.outlook.connector import OutlookConnector

    return OutlookConnector(account, me, options.batch_size, now=options.now)


def limit_key(account: OutlookAccount) -> str:
    """Graph's 4-requests-in-flight limit is per app registration."""
    return f"graph-app-{account.client_id or account.name}"


def login(account: OutlookAccount, _request: AuthRequest) -> str:
    from connectors.outlook.auth import run_auth

    path = run_auth(account)
    return f"token cache saved to {path} (mode 0600)"


SOURCE = Source(
    kind="outlook",
    settings=OutlookAccount,
    build=build,
    limit_key=limit_key,
    auth=Auth(
        login,
        help="Device-code login for an Outlook / Microsoft 365 account; stores the msal cache "
        "0600.",
    ),
)
