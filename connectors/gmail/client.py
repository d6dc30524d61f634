"""Talking to Gmail: credentials, the API client on the account's endpoint, paced batches.

Two google-api-python-client pitfalls are handled here: `client_options["api_endpoint"]`
does not move the batch URI (we build `BatchHttpRequest(batch_uri=…)` from the same endpoint),
and `BatchHttpRequest.execute()` never retries, so failed parts are retried by us — through
the one retry layer (connectors.retry), like every call.
google-auth replaces a token file's `token_uri` with Google's on load; we put it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httplib2
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build as build_service
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from connectors import retry
from connectors.common.google import load_credentials as shared_load_credentials
from connectors.common.google import save_credentials
from connectors.common.google_account import GMAIL_SEND
from connectors.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RetriableError,
    UncertainError,
)
from connectors.gmail.quota import COSTS, Meter, TokenBucket, decision, error_reason
from connectors.gmail.settings import SCOPES as SCOPES
from connectors.gmail.settings import GmailAccount
from connectors.retry import Policy

SEND_SCOPE = GMAIL_SEND
MAX_BATCH = 50  # Google allows 100 calls per batch and recommends at most 50.
# Reads are idempotent: 9 attempts (8 retries), backoff 1, 2, 4 … 32 s, jittered.
READS = Policy(attempts=9, base=1.0, cap=32.0)


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
        self.sleep = sleep
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

    def call(
        self, method: str, request: HttpRequest, *, policy: Policy | None = None
    ) -> dict[str, Any]:
        """Execute one request, paced and retried (`policy`: READS, or ONCE for a send whose
        retries belong to its caller); returns the JSON body."""
        cost = self.costs[method]
        result: dict[str, Any] = self._send(
            method, cost, lambda: request.execute(num_retries=0), policy or READS
        )
        self.meter.charge(method, cost)
        return result

    def _send(self, method: str, units: int, execute: Callable[[], _T], policy: Policy) -> _T:
        """One operation paced by the token bucket, through the one retry layer."""

        def attempt() -> _T:
            self.bucket.take(units)
            self.meter.http_requests += 1
            return execute()

        try:
            result, _ = retry.run(
                attempt, decision, policy, sleep=self.sleep, on_retry=self._on_retry
            )
        except retry.GaveUp as gave:
            raise self._error(gave, method) from gave.cause
        return result

    def _on_retry(self, seen: retry.Decision, _failures: int, _wait: float) -> None:
        self.meter.retries += 1
        if seen.throttled:
            self.bucket.drain()  # after a 429 the server's view is emptier than ours

    # -- batches -----------------------------------------------------------------------

    def batch(
        self, method: str, requests: Sequence[tuple[str, HttpRequest]]
    ) -> dict[str, dict[str, Any] | None]:
        """Run many calls of one method in HTTP batches; a 404'd item maps to None.

        One batch is one operation of the retry layer: an attempt sends the parts still
        pending, keeps what succeeded, and fails with the worst transient part, so only
        the failed parts are sent again; a batch that keeps making progress never gives up.
        """
        results: dict[str, dict[str, Any] | None] = {}
        size = self.per_batch(method)
        cost = self.costs[method]
        for start in range(0, len(requests), size):
            self._batch_chunk(method, cost, list(requests[start : start + size]), results)
        return results

    def _batch_chunk(
        self,
        method: str,
        cost: int,
        pending: list[tuple[str, HttpRequest]],
        results: dict[str, dict[str, Any] | None],
    ) -> None:
        progressed = False

        def attempt() -> None:
            nonlocal progressed
            progressed = False
            outcome = self._exchange(cost * len(pending), pending)
            failed: list[tuple[str, HttpRequest]] = []
            worst: HttpError | None = None
            for key, request in pending:
                value = outcome[key]
                if isinstance(value, HttpError):
                    if int(value.resp.status) == 404:
                        results[key] = None
                    elif decision(value).verdict is retry.Verdict.PERMANENT:
                        raise value
                    else:
                        failed.append((key, request))
                        worst = value
                        continue
                else:
                    results[key] = value
                self.meter.charge(method, cost)
                progressed = True
            pending[:] = failed
            if worst is not None:
                self.meter.retries += len(failed) - 1
                raise worst

        try:
            retry.run(
                attempt,
                decision,
                READS,
                sleep=self.sleep,
                on_retry=self._on_retry,
                progress=lambda: progressed,
            )
        except retry.GaveUp as gave:
            raise self._error(gave, method) from gave.cause

    def _exchange(self, units: int, chunk: Sequence[tuple[str, HttpRequest]]) -> dict[str, Any]:
        """One HTTP batch request: each part's response or HttpError (a part the server left
        out counts as a 503)."""
        self.bucket.take(units)
        self.meter.http_requests += 1
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

    # -- errors ------------------------------------------------------------------------

    def _error(self, gave: retry.GaveUp, method: str) -> ConnectorError:
        """The connector error a failed operation ends in, naming the fix."""
        cause, seen = gave.cause, gave.decision
        if isinstance(cause, RefreshError):
            return self._auth_error(cause)
        status = int(cause.resp.status) if isinstance(cause, HttpError) else 0
        if status == 401:
            return AuthError(self.name, f"Gmail rejected the credentials; {reauth_hint(self.name)}")
        if seen.verdict is retry.Verdict.PERMANENT:
            reason = error_reason(cause) if isinstance(cause, HttpError) else ""
            if status == 403 and reason in ("insufficientPermissions", "forbidden"):
                return AuthError(
                    self.name,
                    f"{method}: permission denied ({reason}); check the account's `scope` and "
                    f"{reauth_hint(self.name)}",
                )
            return FatalError(self.name, f"{method}: {seen.reason}")
        tries = f"after {gave.attempts} attempt{'s' if gave.attempts != 1 else ''}"
        if seen.retry_after is not None and seen.retry_after > READS.longest_wait:
            tries = f"Gmail asked to wait {seen.retry_after:.0f} s; try again later"
        if seen.verdict is retry.Verdict.UNCERTAIN:
            return UncertainError(self.name, f"{method}: {seen.reason} ({tries})")
        return RetriableError(self.name, f"{method}: still failing: {seen.reason} ({tries})")

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
