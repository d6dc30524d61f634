"""The two kinds of failure a connector can raise, retried (or not) in one place.

Retriable: 429, 5xx, timeouts, connection resets that were still failing when the one retry
layer (connectors.retry) gave up; the next run may succeed.
Fatal: bad credentials, other 4xx, unreadable config — retrying cannot help; the message
names the account and what the user should do.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: `account` is named in every message the user sees."""

    def __init__(self, account: str, message: str) -> None:
        super().__init__(f"account {account!r}: {message}")
        self.account = account


class RetriableError(ConnectorError):
    """Transient: safe to retry the same call later."""


class UncertainError(RetriableError):
    """The call may have taken effect (a timeout after the request went out): safe to retry
    for a read, not for a send (connectors.retry's UNCERTAIN)."""


class FatalError(ConnectorError):
    """Retrying will not help; the user must act."""


class AuthError(FatalError):
    """Credentials missing, expired for good, or revoked: run `keepwarm auth …`."""
