"""A fake Microsoft identity platform over HTTPS (trustme certificates) for real msal.

Serves `{authority}/v2.0/.well-known/openid-configuration`, the device-code endpoint and the
token endpoint for device code, refresh token and client credentials. User token responses
carry `id_token` and `client_info`, without which msal stores no account.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TLSServer:
    """A threaded werkzeug server on 127.0.0.1 with a certificate from the given CA."""

    def __init__(self, app: WSGIApp, ca: trustme.CA) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, ssl_context=context
        )
        self.url = f"https://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_ca(ca: trustme.CA, path: Path) -> Path:
    ca.cert_pem.write_to_path(str(path))
    return path


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class IssuedToken:
    subject: str  # a user's UPN (delegated) or the client id (app)
    client_id: str
    app: bool
    expires_at: float


@dataclass
class FakeUser:
    upn: str
    oid: str
    name: str


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class FakeAuthority:
    """Issues tokens; the fake Graph asks it whether a bearer token is (still) valid."""

    def __init__(
        self,
        ca: trustme.CA,
        *,
        tenant: str = "tenant-1",
        client_secrets: dict[str, str] | None = None,
        token_lifetime: int = 3600,
    ) -> None:
        self.tenant = tenant
        self.client_secrets = client_secrets or {}
        self.token_lifetime = token_lifetime
        self.users: dict[str, FakeUser] = {}
        self.signed_in: str | None = None  # who approves the next device code
        self.access: dict[str, IssuedToken] = {}
        self.refresh: dict[str, str] = {}
        self.device_codes: dict[str, str] = {}
        self.grants: list[str] = []
        self.lock = threading.Lock()
        self.tls = TLSServer(self.wsgi, ca)
        self.url = self.tls.url
        self.authority = f"{self.url}/{tenant}"

    def close(self) -> None:
        self.tls.close()

    # -- test controls ------------------------------------------------------------

    def add_user(self, upn: str, name: str = "") -> FakeUser:
        user = FakeUser(upn, secrets.token_hex(8), name or upn.split("@")[0].title())
        self.users[upn] = user
        self.signed_in = self.signed_in or upn
        return user

    def expire_access_tokens(self) -> None:
        """Server-side expiry: msal still thinks its cached tokens are good."""
        with self.lock:
            for token in self.access.values():
                token.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh.clear()
            for token in self.access.values():
                token.expires_at = 0.0

    def check(self, bearer: str) -> IssuedToken | None:
        with self.lock:
            token = self.access.get(bearer)
        if token is None or token.expires_at < time.time():
            return None
        return token

    # -- HTTP -----------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.route(request)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        base = f"/{self.tenant}"
        path = request.path
        if path == f"{base}/v2.0/.well-known/openid-configuration":
            return json_response(self.discovery())
        if path == f"{base}/oauth2/v2.0/devicecode" and request.method == "POST":
            code = secrets.token_urlsafe(16)
            self.device_codes[code] = self.signed_in or ""
            return json_response(
                {
                    "device_code": code,
                    "user_code": "FAKE-1234",
                    "verification_uri": f"{self.url}/devicelogin",
                    "expires_in": 900,
                    "interval": 0,
                    "message": f"To sign in, open {self.url}/devicelogin and enter FAKE-1234",
                }
            )
        if path == f"{base}/oauth2/v2.0/token" and request.method == "POST":
            return self.token(request.form.to_dict())
        return json_response({"error": "not_found"}, 404)

    def discovery(self) -> dict[str, Any]:
        oauth = f"{self.authority}/oauth2/v2.0"
        return {
            "issuer": f"{self.authority}/v2.0",
            "authorization_endpoint": f"{oauth}/authorize",
            "token_endpoint": f"{oauth}/token",
            "device_authorization_endpoint": f"{oauth}/devicecode",
            "jwks_uri": f"{self.authority}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def token(self, form: dict[str, str]) -> Response:
        grant = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        self.grants.append(grant)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            upn = self.device_codes.pop(form.get("device_code", ""), None)
            if not upn:
                return json_response({"error": "expired_token"}, 400)
            return json_response(self._user_tokens(upn, client_id, form.get("scope", "")))
        if grant == "refresh_token":
            with self.lock:
                upn = self.refresh.get(form.get("refresh_token", ""))
            if upn is None:
                return json_response(
                    {
                        "error": "invalid_grant",
                        "error_description": "AADSTS700082: The refresh token has expired.",
                    },
                    400,
                )
            return json_response(self._user_tokens(upn, client_id, form.get("scope", "")))
        if grant == "client_credentials":
            expected = self.client_secrets.get(client_id)
            if expected is None or form.get("client_secret") != expected:
                return json_response(
                    {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"},
                    401,
                )
            access = secrets.token_urlsafe(24)
            with self.lock:
                self.access[access] = IssuedToken(
                    client_id, client_id, True, time.time() + self.token_lifetime
                )
            return json_response(
                {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": access}
            )
        return json_response({"error": "unsupported_grant_type"}, 400)

    def _user_tokens(self, upn: str, client_id: str, scope: str) -> dict[str, Any]:
        user = self.users[upn]
        now = int(time.time())
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        with self.lock:
            self.access[access] = IssuedToken(upn, client_id, False, now + self.token_lifetime)
            self.refresh[refresh] = upn
        claims = {
            "iss": f"{self.authority}/v2.0",
            "aud": client_id,
            "sub": user.oid,
            "oid": user.oid,
            "tid": self.tenant,
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "name": user.name,
            "preferred_username": upn,
        }
        id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig"
        return {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": id_token,
            "client_info": _b64({"uid": user.oid, "utid": self.tenant}),
        }
