"""The `kind = "gmail"` account: which mailbox, where its token lives, how fast to spend quota."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from models.paths import config_home, expand
from models.settings import AccountSettings, Strict

SCOPES = {
    "metadata": "https://www.googleapis.com/auth/gmail.metadata",
    "readonly": "https://www.googleapis.com/auth/gmail.readonly",
}


class GmailQuota(Strict):
    units_per_second: float = 100.0
    costs: Literal["2026", "legacy"] = "2026"


class GmailAccount(AccountSettings):
    kind: Literal["gmail"]
    address: str
    api_endpoint: str = "https://gmail.googleapis.com"
    token_file: str = ""
    client_secrets_file: str = ""
    scope: Literal["metadata", "readonly"] = "metadata"
    quota: GmailQuota = GmailQuota()
    lookback_days: int = 10 * 365

    def token_path(self) -> Path:
        if self.token_file:
            return expand(self.token_file)
        return config_home() / "keepwarm" / "tokens" / f"{self.name}.json"
