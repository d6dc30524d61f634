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


def check(account: OutlookAccount) -> str | None:
    """Delegated: a token cache from `keepwarm auth outlook`; app: the client secret is set."""
    import os

    if account.mode == "app":
        if account.client_secret_block or os.environ.get(account.client_secret_env):
            return None
        return (
            f"account {account.name!r}: app mode needs its client secret; set the env var "
            f"{account.client_secret_env} (or client_secret_block)"
        )
    path = account.token_cache_path()
    if not path.exists():
        return (
            f"account {account.name!r}: not authorized yet (no token cache at {path}); "
            f"run `keepwarm auth outlook {account.name}`"
        )
    return None


def login(account: OutlookAccount, _request: AuthRequest) -> str:
    from connectors.outlook.auth import run_auth

    path = run_auth(account)
    return f"token cache saved to {path} (mode 0600)"


SOURCE = Source(
    kind="outlook",
    settings=OutlookAccount,
    build=build,
    limit_key=limit_key,
    check=check,
    auth=Auth(
        login,
        help="Device-code login for an Outlook / Microsoft 365 account; stores the msal cache "
        "0600.",
    ),
)
