"""Tokens for Graph with msal: a person's device-code login, or an organisation's app token.

Delegated: `keepwarm auth outlook ACCOUNT` runs the device-code flow once and saves msal's
SerializableTokenCache (0600); every sync then refreshes silently. A refresh token that no
longer works stops only that account, with the command that fixes it.
App: client credentials with a secret from an env var (or a Prefect Secret block), never the
config file; one token reads every configured user's calendar.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from connectors.errors import AuthError, FatalError, RetriableError
from connectors.outlook.settings import OutlookAccount


def graph_resource(account: OutlookAccount) -> str:
    """`https://graph.microsoft.com` for the public cloud; national clouds follow the config."""
    parts = urlsplit(account.graph_endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def delegated_scopes(account: OutlookAccount) -> list[str]:
    resource = graph_resource(account)
    scopes = [f"{resource}/Calendars.Read", f"{resource}/User.Read"]
    if account.include_mail:
        scopes.append(f"{resource}/Mail.ReadBasic")
    return scopes


def app_authority(account: OutlookAccount) -> str:
    """Client credentials need a tenant: `tenant_id` replaces the authority's tenant segment."""
    if not account.tenant_id:
        return account.authority
    parts = urlsplit(account.authority)
    return f"{parts.scheme}://{parts.netloc}/{account.tenant_id}"


def _fix(account: OutlookAccount) -> str:
    return f"run `keepwarm auth outlook {account.name}`"


def load_cache(path: Path) -> msal.SerializableTokenCache:
    cache = msal.SerializableTokenCache()
    if path.exists():
        cache.deserialize(path.read_text(encoding="utf-8"))
    return cache


def save_cache(cache: msal.SerializableTokenCache, path: Path) -> None:
    """Atomic write, readable by the owner only (it holds a refresh token)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(cache.serialize())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def client_secret(account: OutlookAccount) -> str:
    """From the env var, else a Prefect Secret block (only when Prefect is installed)."""
    value = os.environ.get(account.client_secret_env, "") if account.client_secret_env else ""
    if value:
        return value
    if account.client_secret_block:
        try:
            from prefect.blocks.system import Secret
        except ImportError:
            pass
        else:
            try:
                block: Any = Secret.load(account.client_secret_block)
                return str(block.get())
            except Exception as exc:  # Prefect raises several kinds for a missing block
                raise AuthError(
                    account.name,
                    f"cannot read Prefect Secret block {account.client_secret_block!r}: {exc}",
                ) from exc
    raise AuthError(
        account.name,
        f"app mode needs a client secret: set the env var {account.client_secret_env} "
        "(or client_secret_block to a Prefect Secret block)",
    )


def _build_app(
    account: OutlookAccount, session: requests.Session, cache: msal.TokenCache | None
) -> msal.ClientApplication:
    # instance_discovery=False: trust the configured authority as given (national clouds,
    # proxies, fakes) instead of asking login.microsoftonline.com about it.
    try:
        if account.mode == "app":
            return msal.ConfidentialClientApplication(
                account.client_id,
                client_credential=client_secret(account),
                authority=app_authority(account),
                http_client=session,
                instance_discovery=False,
            )
        return msal.PublicClientApplication(
            account.client_id,
            authority=account.authority,
            token_cache=cache,
            http_client=session,
            instance_discovery=False,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise RetriableError(account.name, f"authority unreachable: {exc}") from exc
    except ValueError as exc:
        raise FatalError(
            account.name, f"authority {account.authority!r} rejected: {exc}; check the config"
        ) from exc


class TokenProvider:
    """`token(force_refresh)` → a current access token; thread-safe; persists the cache."""

    def __init__(self, account: OutlookAccount, session: requests.Session) -> None:
        self.account = account
        self.session = session
        self._lock = threading.Lock()
        self._app: msal.ClientApplication | None = None
        self._cache: msal.SerializableTokenCache | None = None
        self._current: str | None = None

    def _application(self) -> msal.ClientApplication:
        if self._app is None:
            if self.account.mode == "delegated":
                path = self.account.token_cache_path()
                if not path.exists():
                    raise AuthError(
                        self.account.name, f"no token cache at {path}; {_fix(self.account)}"
                    )
                self._cache = load_cache(path)
            self._app = _build_app(self.account, self.session, self._cache)
        return self._app

    def __call__(self, force_refresh: bool) -> str:
        return self.token(force_refresh)

    def token(self, force_refresh: bool = False) -> str:
        with self._lock:
            if self._current is not None and not force_refresh:
                return self._current
            try:
                result = self._acquire(force_refresh)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise RetriableError(self.account.name, f"authority unreachable: {exc}") from exc
            self._current = str(result["access_token"])
            return self._current

    def _acquire(self, force_refresh: bool) -> dict[str, Any]:
        app = self._application()
        account = self.account
        if account.mode == "app":
            assert isinstance(app, msal.ConfidentialClientApplication)
            if force_refresh:
                app.remove_tokens_for_client()
            result = app.acquire_token_for_client([f"{graph_resource(account)}/.default"])
            if not result or "access_token" not in result:
                error = (result or {}).get("error_description") or (result or {}).get("error")
                raise AuthError(
                    account.name,
                    f"client credentials refused ({error}); check client_id, tenant_id and "
                    f"the secret in {account.client_secret_env}",
                )
            return dict(result)
        accounts = app.get_accounts()
        if not accounts:
            raise AuthError(
                account.name, f"no signed-in account in the token cache; {_fix(account)}"
            )
        result = app.acquire_token_silent_with_error(
            delegated_scopes(account), account=accounts[0], force_refresh=force_refresh
        )
        if not result or "access_token" not in result:
            error = (result or {}).get("error") or "no cached token"
            raise AuthError(account.name, f"token refresh failed ({error}); {_fix(account)}")
        self._persist()
        return dict(result)

    def _persist(self) -> None:
        if self._cache is not None and self._cache.has_state_changed:
            save_cache(self._cache, self.account.token_cache_path())
            self._cache.has_state_changed = False


def run_auth(
    account: OutlookAccount,
    *,
    echo: Callable[[str], None] = print,
    session: requests.Session | None = None,
) -> Path:
    """Device-code login for a person (prints the code to enter); app mode checks the secret."""
    from connectors.outlook.http import CASession

    session = session or CASession()
    path = account.token_cache_path()
    if account.mode == "app":
        TokenProvider(account, session).token()
        echo(f"{account.name}: app credentials work; no token cache is needed in app mode")
        return path
    cache = load_cache(path)
    app = _build_app(account, session, cache)
    assert isinstance(app, msal.PublicClientApplication)
    flow = app.initiate_device_flow(scopes=delegated_scopes(account))
    if "user_code" not in flow:
        raise AuthError(account.name, f"device-code login refused: {flow.get('error_description')}")
    echo(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise AuthError(
            account.name, f"device-code login failed: {result.get('error_description')}"
        )
    save_cache(cache, path)
    return path
