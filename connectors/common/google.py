"""Talking to Google's APIs (Calendar, People; Gmail to follow): the token file, the client on
an overridable endpoint, and ONE table saying what a failed call means.

The table (`RULES`) maps an answer — HTTP status plus the error's reasons, both the legacy
`errors[].reason` and the newer `details[ErrorInfo].reason` — to an `Outcome`:

- `RETRY`: rate limits (429; 403 rateLimitExceeded / userRateLimitExceeded / quotaExceeded /
  RATE_LIMIT_EXCEEDED), 408 and 5xx, and transport failures (timeouts, resets): back off —
  as long as the answer's Retry-After says, else exponentially with jitter — and try again;
  after `attempts` tries a `RetriableError` (the flow's retry policy may try the run later);
- `AUTH`: 401 (google-auth has already refreshed the token once and retried) and any other
  403 (insufficientPermissions / ACCESS_TOKEN_SCOPE_INSUFFICIENT, forbidden): an `AuthError`
  naming `keepwarm auth google ACCOUNT`; a refresh refused by the token endpoint (revoked,
  expired — an app left in Testing loses its refresh tokens after 7 days) is the same;
- `SETUP`: 403 accessNotConfigured / SERVICE_DISABLED (the API is not enabled in the Google
  Cloud project): a `FatalError` saying so — re-authorizing would not help;
- `GONE`: 410, and People's 400 EXPIRED_SYNC_TOKEN: the sync token expired; the caller starts
  a full round (raised as `SyncTokenGone`);
- `IGNORE`: 404: the thing is not there (a calendar removed since); the call returns None;
- `FAIL`: anything else (other 4xx): a `FatalError` with Google's own message.

Retries use tenacity; `sleep` is injectable so tests (and storms on the fakes) run instantly.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build as build_service
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connectors.base import Me
from connectors.common.google_account import GoogleAccount, reauth_command, short_scope
from connectors.errors import AuthError, FatalError, RetriableError


class Outcome(Enum):
    RETRY = "retry"
    AUTH = "auth"
    SETUP = "setup"
    GONE = "gone"
    IGNORE = "ignore"
    FAIL = "fail"


# (statuses, reason or None for any) → outcome; the first match wins; no match → FAIL.
RULES: tuple[tuple[frozenset[int], str | None, Outcome], ...] = (
    (frozenset({429, 408}), None, Outcome.RETRY),
    (frozenset(range(500, 600)), None, Outcome.RETRY),
    (frozenset({403}), "rateLimitExceeded", Outcome.RETRY),
    (frozenset({403}), "userRateLimitExceeded", Outcome.RETRY),
    (frozenset({403}), "quotaExceeded", Outcome.RETRY),
    (frozenset({403}), "RATE_LIMIT_EXCEEDED", Outcome.RETRY),
    (frozenset({403}), "accessNotConfigured", Outcome.SETUP),
    (frozenset({403}), "SERVICE_DISABLED", Outcome.SETUP),
    (frozenset({401, 403}), None, Outcome.AUTH),
    (frozenset({410}), None, Outcome.GONE),
    (frozenset({400}), "EXPIRED_SYNC_TOKEN", Outcome.GONE),
    (frozenset({404}), None, Outcome.IGNORE),
)

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    httplib2.HttpLib2Error,
    TransportError,
    OSError,
)


SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


class SyncTokenGone(Exception):
    """The sync token the request carried has expired: start a full round."""


def reasons(err: HttpError) -> frozenset[str]:
    """Every reason Google's error body gives: legacy `errors[].reason` and ErrorInfo's."""
    try:
        body = json.loads(err.content or b"{}")
    except ValueError:
        return frozenset()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return frozenset()
    found: set[str] = set()
    for item in error.get("errors") or []:
        if isinstance(item, dict) and item.get("reason"):
            found.add(str(item["reason"]))
    for item in error.get("details") or []:
        if isinstance(item, dict) and item.get("reason"):
            found.add(str(item["reason"]))
    return frozenset(found)


def message_of(err: HttpError) -> str:
    try:
        body = json.loads(err.content or b"{}")
        text = body["error"]["message"]
    except (ValueError, KeyError, TypeError):
        text = ""
    return str(text or err.reason or "").strip()[:300]


def classify(status: int, found: frozenset[str]) -> Outcome:
    """The one table, applied."""
    for statuses, reason, outcome in RULES:
        if status in statuses and (reason is None or reason in found):
            return outcome
    return Outcome.FAIL


def retry_after(
    err: BaseException, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """Seconds the answer asks us to wait (Retry-After: seconds or an HTTP date)."""
    if not isinstance(err, HttpError):
        return None
    raw = err.resp.get("retry-after") if err.resp is not None else None
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(str(raw))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


def _retriable(exc: BaseException) -> bool:
    if isinstance(exc, HttpError):
        return classify(int(exc.resp.status), reasons(exc)) is Outcome.RETRY
    if isinstance(exc, RefreshError):
        return bool(getattr(exc, "retryable", False))
    return isinstance(exc, TRANSPORT_ERRORS)


@dataclass
class Backoff:
    """Exponential backoff with full jitter, overridden by the answer's Retry-After (capped)."""

    base: float = 1.0
    cap: float = 60.0
    retry_after_cap: float = 600.0
    rng: random.Random = field(default_factory=random.Random)

    def __call__(self, state: RetryCallState) -> float:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        asked = retry_after(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self.retry_after_cap)
        ceiling = min(self.cap, self.base * 2 ** (state.attempt_number - 1))
        return self.rng.uniform(ceiling / 2, ceiling)


# -- credentials ---------------------------------------------------------------------------


def load_credentials(path: Path, account: str, hint: str) -> Credentials:
    """The authorized-user token file, with its own token_uri kept (google-auth replaces it
    with Google's on load; tests and proxies point it elsewhere)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AuthError(account, f"no token file at {path}; {hint}") from exc
    except (OSError, ValueError) as exc:
        raise AuthError(account, f"token file {path} is unreadable; {hint}") from exc
    if not isinstance(info, dict):
        raise AuthError(account, f"token file {path} is not a token; {hint}")
    try:
        creds = Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise AuthError(account, f"token file {path} is incomplete; {hint}") from exc
    if info.get("token_uri") and creds.token_uri != info["token_uri"]:
        creds = creds.with_token_uri(info["token_uri"])
    assert isinstance(creds, Credentials)
    return creds


def save_credentials(path: Path, creds: Credentials) -> None:
    """Write the authorized-user JSON readable by its owner only (0600), atomically; several
    accounts sharing the file may save a refreshed token at once (a private temp file each).
    The scopes written are those Google granted, when it said (a user may untick some)."""
    info = json.loads(creds.to_json())  # type: ignore[no-untyped-call]
    granted = getattr(creds, "granted_scopes", None)
    if granted:
        info["scopes"] = sorted(granted)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(info))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def granted_scopes(creds: Credentials) -> frozenset[str] | None:
    """What the token file says the grant covers, or None when it does not say."""
    scopes = creds.scopes
    return frozenset(scopes) if scopes else None


# -- the client ----------------------------------------------------------------------------


@dataclass
class Meter:
    """Requests sent (every attempt) and retries, for summaries, tests and the bench."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0


class GoogleApi:
    """One account's access to one Google API: `call` executes a request under the table."""

    def __init__(
        self,
        account: GoogleAccount,
        *,
        api: str,
        version: str,
        endpoint: str,
        what: str,
        credentials: Credentials | None = None,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 8,
        timeout: float = 60.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.account = account
        self.name = account.name
        self.what = what  # "Google Calendar", for messages
        self.hint = f"run `{reauth_command(account.name)}`"
        self.token_path = account.token_path()
        self.creds = credentials or load_credentials(self.token_path, self.name, self.hint)
        self._check_scopes()
        self._initial_token = self.creds.token
        self.sleep = sleep
        self.attempts = attempts
        self.backoff = backoff or Backoff()
        self.meter = Meter()
        self.http = AuthorizedHttp(self.creds, http=httplib2.Http(timeout=timeout))
        self.service: Any = build_service(
            api,
            version,
            http=self.http,
            client_options={"api_endpoint": endpoint},
            static_discovery=True,
            cache_discovery=False,
        )

    def _check_scopes(self) -> None:
        """A token file that says it lacks this account's scope fails before any request."""
        granted = granted_scopes(self.creds)
        if granted is None or self.account.satisfied_by(granted):
            return
        needed = ", ".join(short_scope(s) for s in self.account.needed_scopes())
        has = ", ".join(sorted(short_scope(s) for s in granted)) or "nothing"
        raise AuthError(
            self.name,
            f"the token at {self.token_path} was granted {has}, not {needed} which "
            f"{self.what} needs; {self.hint} (it asks for every scope the Google accounts "
            "sharing that token need)",
        )

    def call(self, request: HttpRequest, label: str) -> dict[str, Any] | None:
        """Execute `request`; its JSON, or None for IGNORE (404). Raises per the table."""

        def before_sleep(state: RetryCallState) -> None:
            self.meter.retries += 1
            if state.next_action is not None:
                self.meter.waited += state.next_action.sleep

        retrying = Retrying(
            retry=retry_if_exception(_retriable),
            stop=stop_after_attempt(self.attempts),
            wait=self.backoff,
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            result: dict[str, Any] = retrying(self._execute, request)
            return result
        except HttpError as err:
            self._failed(err, label)
            return None
        except RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise RetriableError(self.name, f"{label}: token refresh failing: {exc}") from exc
            raise self._refresh_refused(exc) from exc
        except TRANSPORT_ERRORS as exc:
            raise RetriableError(
                self.name, f"{self.what} unreachable after {self.attempts} tries ({label}): {exc}"
            ) from exc

    def _execute(self, request: HttpRequest) -> dict[str, Any]:
        self.meter.requests += 1
        result: dict[str, Any] = request.execute(num_retries=0)
        return result

    def _failed(self, err: HttpError, label: str) -> None:
        status = int(err.resp.status)
        found = reasons(err)
        outcome = classify(status, found)
        detail = f"{label}: {status} {', '.join(sorted(found)) or 'error'}: {message_of(err)}"
        if outcome is Outcome.IGNORE:
            return None
        if outcome is Outcome.GONE:
            raise SyncTokenGone(detail) from err
        if outcome is Outcome.RETRY:
            raise RetriableError(
                self.name, f"{self.what} still refusing after {self.attempts} tries ({detail})"
            ) from err
        if outcome is Outcome.AUTH:
            scope = status == 403 and bool(found & SCOPE_REASONS)
            why = "the grant lacks the scope it needs" if scope else "the credentials were refused"
            raise AuthError(self.name, f"{self.what}: {why} ({detail}); {self.hint}") from err
        if outcome is Outcome.SETUP:
            raise FatalError(
                self.name,
                f"{self.what} is not enabled in the Google Cloud project of this OAuth client: "
                f"enable it (APIs & Services → Library) and sync again ({detail})",
            ) from err
        raise FatalError(self.name, f"{self.what} answered {detail}") from err

    def _refresh_refused(self, exc: RefreshError) -> AuthError:
        # Never include tokens: only the OAuth error code, if any.
        code = ""
        if exc.args and isinstance(exc.args[0], str):
            code = exc.args[0].split(":", 1)[0].split()[0] if exc.args[0].strip() else ""
        return AuthError(
            self.name,
            f"the Google grant in {self.token_path} is no longer valid ({code or 'refresh failed'}"
            "; an OAuth app left in Testing loses its grants after 7 days); " + self.hint,
        )

    def save_if_refreshed(self) -> None:
        """Keep a refreshed access token so the next run (and the accounts sharing the file)
        need not refresh again."""
        if self.creds.token and self.creds.token != self._initial_token:
            save_credentials(self.token_path, self.creds)
            self._initial_token = self.creds.token


def new_round() -> str:
    """The id of a full read: records it saw carry it, and its sweep removes the others."""
    return secrets.token_hex(8)


AccountT = TypeVar("AccountT", bound=GoogleAccount)


class GoogleReader(Generic[AccountT]):
    """What the Calendar and People connectors share: their settings and one API client,
    built on first use (so a connector exists before its token is read); tests may set `api`.
    Subclasses name the API in API_NAME, API_VERSION and WHAT (for messages)."""

    API_NAME: ClassVar[str]
    API_VERSION: ClassVar[str]
    WHAT: ClassVar[str]

    def __init__(
        self,
        account: AccountT,
        me: Me,
        *,
        batch_size: int = 500,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 8,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.config = account
        self.account = account.name
        self.me = me
        self.batch_size = batch_size
        self.sleep = sleep
        self.attempts = attempts
        self.api: GoogleApi | None = None

    def _api(self) -> GoogleApi:
        if self.api is None:
            self.api = GoogleApi(
                self.config,
                api=self.API_NAME,
                version=self.API_VERSION,
                endpoint=self.config.service_endpoint(),
                what=self.WHAT,
                sleep=self.sleep,
                attempts=self.attempts,
            )
        return self.api
