"""The `kind = "gmail"` account: which mailbox, where its token lives, how fast to spend quota."""

from __future__ import annotations

from typing import Literal

from connectors.common.google_account import GMAIL_METADATA, GMAIL_READONLY, GoogleAccount
from models.settings import Strict

SCOPES = {"metadata": GMAIL_METADATA, "readonly": GMAIL_READONLY}


class GmailQuota(Strict):
    units_per_second: float = 100.0
    costs: Literal["2026", "legacy"] = "2026"


class GmailAccount(GoogleAccount):
    """`token_file` / `client_secrets_file`: see GoogleAccount (the grant may be shared with
    the same user's gcal and gcontacts accounts)."""

    kind: Literal["gmail"]
    address: str
    api_endpoint: str = "https://gmail.googleapis.com"
    scope: Literal["metadata", "readonly"] = "metadata"
    quota: GmailQuota = GmailQuota()
    lookback_days: int = 10 * 365

    def needed_scopes(self) -> tuple[str, ...]:
        return (SCOPES[self.scope],)
