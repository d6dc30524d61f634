"""The `kind = "outlook"` account: Graph endpoints, the app registration, delegated or app mode."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from models.paths import config_home, expand
from models.settings import AccountSettings


class OutlookAccount(AccountSettings):
    kind: Literal["outlook"]
    authority: str = "https://login.microsoftonline.com/common"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    client_id: str = Field(default="", validate_default=True)
    mode: Literal["delegated", "app"] = "delegated"
    token_cache: str = ""
    tenant_id: str = ""
    client_secret_env: str = "KEEPWARM_GRAPH_SECRET"
    client_secret_block: str = ""
    users: list[str] = Field(default_factory=list)
    lookback_days: int = 5 * 365
    lookahead_days: int = 90
    include_mail: bool = False

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, client_id: str) -> str:
        if not client_id.strip():
            raise ValueError(
                "client_id is empty: register an app in Microsoft Entra (README 'Connect "
                "Outlook') and put its Application (client) ID here"
            )
        return client_id.strip()

    def token_cache_path(self) -> Path:
        if self.token_cache:
            return expand(self.token_cache)
        return config_home() / "keepwarm" / "tokens" / f"{self.name}.msal.json"
