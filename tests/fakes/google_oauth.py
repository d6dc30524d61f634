"""A fake of Google's OAuth 2.0 server (oauth2.googleapis.com) for the loopback API fakes.

Faithful: grants (one per user consent) carry scopes; `POST /token` answers the refresh-token
and authorization-code grants with `access_token`, `expires_in` (3599 s), `scope` and
`token_type` as Google does; a refresh may ask for a subset of the granted scopes and gets a
token limited to them; an unknown, revoked or wrong-client refresh answers `invalid_grant` /
`invalid_client` with Google's descriptions. `POST /revoke` revokes the whole grant (refresh
token and every access token), whichever of its tokens is given. Access tokens expire by the
fake's clock (so `SimClock.advance` expires them while the client still believes them valid:
the API answers 401 and google-auth refreshes), or all at once (`expire_access_tokens`).
`check` is what the API fakes call: 401 kinds (missing / invalid / expired / revoked) and
"scope" when the token has none of the method's accepted scopes.

Not modelled: id tokens / OpenID, PKCE verification, incremental authorization
(`include_granted_scopes`), refresh-token expiry of apps in "testing" status (7 days), the
device flow, service accounts and domain-wide delegation, rate limits on the token endpoint.
The consent screen (`/o/oauth2/auth`) always approves, for the installed-app flow.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials

    from tests.fakes.google_common import Response, SimClock


@dataclass
class Grant:
    """One user's consent to a set of scopes: what a refresh token stands for."""

    user: str
    scopes: frozenset[str]
    refresh_token: str
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    scopes: frozenset[str]
    expires_at: float  # on the fake's clock (seconds)

    @property
    def user(self) -> str:
        return self.grant.user


class AuthFailure(Exception):
    """Why a bearer token was refused: missing | invalid | expired | revoked | scope."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class OAuthStats:
    token_requests: int = 0
    refreshes: int = 0  # successful refresh-token grants
    code_exchanges: int = 0
    revocations: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # OAuth error code → count

    def refuse(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1


class GoogleOAuth:
    """The token server's state. API fakes mount its endpoints (`/token`, `/revoke`,
    `/o/oauth2/auth`) on their own port; share one instance between fakes so one grant (and
    one token file) works for Calendar and People, as one Google account's grant would."""

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        token_lifetime: int = 3599,
        client_id: str = "fake-client.apps.googleusercontent.com",
        client_secret: str = "fake-secret",
    ) -> None:
        from tests.fakes.google_common import SimClock

        self.clock = clock or SimClock()
        self.token_lifetime = token_lifetime
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_uri: str | None = None  # set by the first fake that serves it
        self.grants: dict[str, Grant] = {}  # refresh token → grant
        self.defaults: dict[str, Grant] = {}  # user → the grant helpers use
        self.tokens: dict[str, AccessToken] = {}
        self.auth_codes: dict[str, Grant] = {}
        self.consent_user: str | None = None  # who consents on /o/oauth2/auth
        self.stats = OAuthStats()
        self.lock = threading.RLock()

    # -- grants and tokens (test side) ---------------------------------------------------

    def grant(self, user: str, scopes: Iterable[str]) -> Grant:
        """A new consent (a new refresh token) for `user`; it becomes the user's default."""
        with self.lock:
            refresh = "1//fake-refresh-" + secrets.token_hex(10)
            new = Grant(user.lower(), frozenset(scopes), refresh)
            self.grants[refresh] = new
            self.defaults[new.user] = new
            if self.consent_user is None:
                self.consent_user = new.user
            return new

    def ensure_grant(self, user: str, scopes: Iterable[str]) -> Grant:
        """The user's default grant, created, or widened by `scopes` (set-up time only)."""
        with self.lock:
            existing = self.defaults.get(user.lower())
            if existing is None:
                return self.grant(user, scopes)
            existing.scopes = existing.scopes | frozenset(scopes)
            return existing

    def default_grant(self, user: str) -> Grant:
        with self.lock:
            return self.defaults[user.lower()]

    def set_scopes(self, user: str, scopes: Iterable[str]) -> Grant:
        """The user re-consents with exactly these scopes (same refresh token). Tokens already
        issued keep the scopes they were issued with, as at Google."""
        with self.lock:
            grant = self.defaults[user.lower()]
            grant.scopes = frozenset(scopes)
            return grant

    def issue(
        self, grant: Grant, scopes: Iterable[str] | None = None, lifetime: float | None = None
    ) -> AccessToken:
        with self.lock:
            wanted = frozenset(scopes) if scopes is not None else grant.scopes
            token = AccessToken(
                "ya29.fake-" + secrets.token_urlsafe(24),
                grant,
                wanted & grant.scopes,
                self.clock.now() + (self.token_lifetime if lifetime is None else lifetime),
            )
            self.tokens[token.token] = token
            return token

    def expire_access_tokens(self) -> None:
        """Every access token handed out so far stops working (expiry mid-run)."""
        with self.lock:
            self.tokens.clear()

    def revoke(self, token_or_user: str) -> None:
        """Revoke a grant by any of its tokens, or a user's default grant by address."""
        with self.lock:
            grant = self._grant_of(token_or_user) or self.defaults.get(token_or_user.lower())
            if grant is None:
                raise KeyError(token_or_user)
            self._revoke(grant)

    def _revoke(self, grant: Grant) -> None:
        grant.revoked = True
        for key in [k for k, t in self.tokens.items() if t.grant is grant]:
            del self.tokens[key]
        self.stats.revocations += 1

    def _grant_of(self, token: str) -> Grant | None:
        if token in self.grants:
            return self.grants[token]
        access = self.tokens.get(token)
        return access.grant if access else None

    def authorized_user_info(
        self,
        *,
        user: str,
        scopes: Iterable[str] | None = None,
        grant: Grant | None = None,
        expired: bool = False,
    ) -> dict[str, Any]:
        """What `Credentials.to_json()` writes, pointing at this fake's token endpoint.
        `scopes` is what the file claims (default: the grant's); `expired` gives a stale
        access token with an expiry in the past, so the client refreshes first."""
        assert self.token_uri is not None, "start() a fake that serves the token endpoint"
        grant = grant or self.default_grant(user)
        claimed = sorted(scopes if scopes is not None else grant.scopes)
        if expired:
            token, expiry = "ya29.stale-" + secrets.token_hex(6), "2000-01-01T00:00:00Z"
        else:
            token = self.issue(grant, claimed).token
            moment = datetime.now(UTC) + timedelta(seconds=self.token_lifetime)
            expiry = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "token": token,
            "refresh_token": grant.refresh_token,
            "token_uri": self.token_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": claimed,
            "expiry": expiry,
        }

    def credentials(
        self,
        *,
        user: str,
        scopes: Iterable[str] | None = None,
        grant: Grant | None = None,
        expired: bool = False,
    ) -> Credentials:
        """Real google-auth user credentials against this fake."""
        from google.oauth2.credentials import Credentials

        info = self.authorized_user_info(user=user, scopes=scopes, grant=grant, expired=expired)
        creds = Credentials(  # type: ignore[no-untyped-call]
            token=info["token"],
            refresh_token=info["refresh_token"],
            token_uri=info["token_uri"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=info["scopes"],
            expiry=datetime.strptime(info["expiry"], "%Y-%m-%dT%H:%M:%SZ"),  # naive UTC
        )
        return creds

    def client_secrets(self, auth_uri: str) -> dict[str, Any]:
        """An installed-app client secrets file for google-auth-oauthlib."""
        return {
            "installed": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": ["http://localhost"],
            }
        }

    # -- the API fakes' check -------------------------------------------------------------

    def check(self, bearer: str, accepted: frozenset[str]) -> AccessToken:
        """The access token behind `Authorization: Bearer …`, or AuthFailure."""
        with self.lock:
            if not bearer:
                raise AuthFailure("missing")
            token = self.tokens.get(bearer)
            if token is None:
                raise AuthFailure("invalid")
            if token.grant.revoked:
                raise AuthFailure("revoked")
            if self.clock.now() >= token.expires_at:
                del self.tokens[bearer]
                raise AuthFailure("expired")
            if accepted and not (token.scopes & accepted):
                raise AuthFailure("scope")
            return token

    # -- HTTP endpoints -------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Response | None:
        """Serve an OAuth endpoint, or None when `path` is not one."""
        if path == "/token" and method == "POST":
            form = _form(body)
            basic = headers.get("authorization", "")
            if basic.lower().startswith("basic "):  # client credentials may come this way too
                import base64
                from urllib.parse import unquote

                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", unquote(user))
                form.setdefault("client_secret", unquote(password))
            return self._token(form)
        if path == "/revoke" and method == "POST":
            form = {**_form(query.encode()), **_form(body)}
            return self._revoke_endpoint(form)
        if path in ("/o/oauth2/auth", "/o/oauth2/v2/auth", "/auth") and method == "GET":
            return self._consent(parse_qs(query))
        return None

    def _token(self, form: dict[str, str]) -> Response:
        with self.lock:
            self.stats.token_requests += 1
            if form.get("client_id") != self.client_id or (
                form.get("client_secret") != self.client_secret
            ):
                self.stats.refuse("invalid_client")
                return _oauth_error(401, "invalid_client", "The OAuth client was not found.")
            grant_type = form.get("grant_type")
            if grant_type == "refresh_token":
                grant = self.grants.get(form.get("refresh_token", ""))
                if grant is None or grant.revoked:
                    self.stats.refuse("invalid_grant")
                    return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
                asked = frozenset(form.get("scope", "").split())
                if asked - grant.scopes:
                    self.stats.refuse("invalid_scope")
                    return _oauth_error(400, "invalid_scope", "Bad Request")
                token = self.issue(grant, asked or None)
                self.stats.refreshes += 1
                return _token_response(token, self.token_lifetime)
            if grant_type == "authorization_code":
                grant = self.auth_codes.pop(form.get("code", ""), None)
                if grant is None:
                    self.stats.refuse("invalid_grant")
                    return _oauth_error(400, "invalid_grant", "Malformed auth code.")
                token = self.issue(grant)
                self.stats.code_exchanges += 1
                return _token_response(token, self.token_lifetime, grant.refresh_token)
            self.stats.refuse("unsupported_grant_type")
            return _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _revoke_endpoint(self, form: dict[str, str]) -> Response:
        with self.lock:
            grant = self._grant_of(form.get("token", ""))
            if grant is None or grant.revoked:
                self.stats.refuse("invalid_token")
                return _oauth_error(400, "invalid_token", "Token expired or revoked")
            self._revoke(grant)
            return 200, {"Content-Type": "application/json; charset=utf-8"}, b"{}"

    def _consent(self, q: dict[str, list[str]]) -> Response:
        """The consent screen, always approved by `consent_user`: redirect back with a code."""
        with self.lock:
            user = self.consent_user or "me@example.com"
            scopes = q.get("scope", [""])[0].split()
            grant = self.grant(user, scopes)
            code = "4/fake-code-" + secrets.token_hex(8)
            self.auth_codes[code] = grant
        params = {"code": code, "state": q.get("state", [""])[0], "scope": " ".join(scopes)}
        return 302, {"Location": f"{q['redirect_uri'][0]}?{urlencode(params)}"}, b""


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def _oauth_error(status: int, code: str, description: str) -> Response:
    import json

    payload = json.dumps({"error": code, "error_description": description}).encode()
    return status, {"Content-Type": "application/json; charset=utf-8"}, payload


def _token_response(token: AccessToken, lifetime: int, refresh: str | None = None) -> Response:
    import json

    out: dict[str, Any] = {
        "access_token": token.token,
        "expires_in": lifetime,
        "scope": " ".join(sorted(token.scopes)),
        "token_type": "Bearer",
    }
    if refresh is not None:
        out["refresh_token"] = refresh
    return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(out).encode()
