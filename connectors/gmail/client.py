"""Talking to Gmail: credentials, the API client on the account's endpoint, paced batches.

Two google-api-python-client pitfalls are handled here: `client_options["api_endpoint"]`
does not move the batch URI (we build `BatchHttpRequest(batch_uri=…)` from the same endpoint),
and `BatchHttpRequest.execute()` never retries, so failed parts are retried by us.
google-auth replaces a token file's `token_uri` with Google's on load; we put it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build as build_service
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from connectors.common.google import load_credentials as shared_load_credentials
from connectors.common.google import save_credentials
from connectors.common.google_account import GMAIL_SEND
from connectors.errors import AuthError, FatalError, RetriableError
from connectors.gmail.quota import COSTS, Backoff, Meter, TokenBucket, error_reason, is_retriable
from connectors.gmail.settings import SCOPES as SCOPES
from connectors.gmail.settings import GmailAccount

SEND_SCOPE = GMAIL_SEND
MAX_BATCH = 50  # Google allows 100 calls per batch and recommends at most 50.


def reauth_hint(account: str) -> str:
    return f"run `keepwarm auth gmail {account}`"


def load_credentials(account: GmailAccount) -> Credentials:
    """The token file written by `keepwarm auth google` (or `auth gmail`), its token_uri kept."""
    return shared_load_credentials(account.token_path(), account.name, reauth_hint(account.name))


_T = TypeVar("_T")


class GmailClient:
    """One account's API access: every call is charged to the bucket and the meter."""

    def __init__(
        self,
        account: GmailAccount,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        burst_seconds: float = 5.0,
        timeout: float = 60.0,
        credentials: Credentials | None = None,
    ) -> None:
        self.account = account
        self.name = account.name
        self.costs = COSTS[account.quota.costs]
        # 2 % headroom: our bucket and Google's start and clip at slightly different moments.
        rate = account.quota.units_per_second * 0.98
        self.bucket = TokenBucket(rate, rate * burst_seconds, clock, sleep)
        self.backoff = Backoff(sleep=sleep)
        self.meter = Meter()
        self.creds = credentials or load_credentials(account)
        self._initial_token = self.creds.token
        self.http = AuthorizedHttp(self.creds, http=httplib2.Http(timeout=timeout))
        endpoint = account.api_endpoint.rstrip("/")
        self.batch_uri = f"{endpoint}/batch/gmail/v1"
        self.service: Any = build_service(
            "gmail",
            "v1",
            http=self.http,
            client_options={"api_endpoint": endpoint},
            static_discovery=True,
            cache_discovery=False,
        )
        self.users: Any = self.service.users()

    def per_batch(self, method: str) -> int:
        """Calls per batch so one batch never exceeds the bucket's burst."""
        fit = int(self.bucket.capacity // max(self.costs[method], 1))
        return max(1, min(MAX_BATCH, fit))

    def save_if_refreshed(self) -> None:
        """Keep a refreshed access token so the next run does not refresh again."""
        if self.creds.token and self.creds.token != self._initial_token:
            save_credentials(self.account.token_path(), self.creds)
            self._initial_token = self.creds.token

    # -- single calls ------------------------------------------------------------------

    def call(self, method: str, request: HttpRequest) -> dict[str, Any]:
        """Execute one request, paced and retried; returns the JSON body."""
        cost = self.costs[method]
        result: dict[str, Any] = self._send(method, cost, lambda: request.execute(num_retries=0))
        self.meter.charge(method, cost)
        return result

    def _send(self, method: str, units: int, execute: Callable[[], _T]) -> _T:
        """One HTTP exchange paced by the token bucket: the client's one retry loop for
        transport failures and failed (envelope-level) responses."""
        for attempt in range(self.backoff.attempts + 1):
            self.bucket.take(units)
            self.meter.http_requests += 1
            try:
                return execute()
            except HttpError as err:
                self._raise_unless_retriable(err, method, attempt)
                self._note_retry(err)
            except RefreshError as exc:
                raise self._auth_error(exc) from exc
            except (TimeoutError, httplib2.HttpLib2Error, OSError, TransportError) as exc:
                if attempt >= self.backoff.attempts:
                    raise RetriableError(self.name, f"Gmail unreachable: {exc}") from exc
                self.meter.retries += 1
            self.backoff.wait(attempt)
        raise RetriableError(self.name, f"{method}: gave up after retries")

    # -- batches -----------------------------------------------------------------------

    def batch(
        self, method: str, requests: Sequence[tuple[str, HttpRequest]]
    ) -> dict[str, dict[str, Any] | None]:
        """Run many calls of one method in batches; a 404'd item maps to None.

        Failed parts that are transient are re-sent (only those) after a jittered backoff.
        """
        results: dict[str, dict[str, Any] | None] = {}
        size = self.per_batch(method)
        cost = self.costs[method]
        pending = list(requests)
        attempt = 0
        while pending:
            before = len(pending)
            failed: list[tuple[str, HttpRequest]] = []
            worst: HttpError | None = None
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                outcome = self._run_batch(method, cost, chunk)
                for key, request in chunk:
                    value = outcome[key]
                    if isinstance(value, HttpError):
                        if int(value.resp.status) == 404:
                            results[key] = None
                            self.meter.charge(method, cost)
                            continue
                        self._raise_unless_retriable(value, method, attempt)
                        failed.append((key, request))
                        worst = value
                    else:
                        results[key] = value
                        self.meter.charge(method, cost)
            if failed:
                assert worst is not None
                self._note_retry(worst)
                self.meter.retries += len(failed) - 1
                # Give up only after `attempts` rounds in a row that made no progress.
                attempt = attempt + 1 if len(failed) == before else 0
                self._raise_unless_retriable(worst, method, attempt)
                self.backoff.wait(attempt)
            pending = failed
        return results

    def _run_batch(
        self, method: str, cost: int, chunk: Sequence[tuple[str, HttpRequest]]
    ) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            outcome: dict[str, Any] = {}

            def collect(request_id: str, response: Any, exception: Exception | None) -> None:
                outcome[request_id] = exception if exception is not None else response

            batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
            for key, request in chunk:
                batch.add(request, request_id=key)
            batch.execute(http=self.http)
            for key, _ in chunk:
                outcome.setdefault(key, HttpError(httplib2.Response({"status": 503}), b"{}"))
            return outcome

        return self._send(method, cost * len(chunk), run)

    # -- errors ------------------------------------------------------------------------

    def _note_retry(self, err: HttpError) -> None:
        self.meter.retries += 1
        if int(err.resp.status) in (403, 429):
            self.bucket.drain()

    def _raise_unless_retriable(self, err: HttpError, method: str, attempt: int) -> None:
        status = int(err.resp.status)
        if status == 401:
            raise AuthError(
                self.name, f"Gmail rejected the credentials; {reauth_hint(self.name)}"
            ) from err
        if is_retriable(err):
            if attempt >= self.backoff.attempts:
                raise RetriableError(
                    self.name, f"{method}: still failing ({status}) after {attempt} retries"
                ) from err
            return
        reason = error_reason(err) or "error"
        if status == 403 and reason in ("insufficientPermissions", "forbidden"):
            raise AuthError(
                self.name,
                f"{method}: permission denied ({reason}); check the account's `scope` and "
                f"{reauth_hint(self.name)}",
            ) from err
        raise FatalError(self.name, f"{method}: Gmail answered {status} {reason}") from err

    def _auth_error(self, exc: RefreshError) -> AuthError:
        # Never include tokens: only the OAuth error code, if any.
        code = ""
        if exc.args and isinstance(exc.args[0], str):
            code = exc.args[0].split(":", 1)[0]
        return AuthError(
            self.name,
            f"the Gmail grant is no longer valid ({code or 'refresh failed'}); "
            f"{reauth_hint(self.name)}",
        )
