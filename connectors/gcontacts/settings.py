"""The `kind = "gcontacts"` account: the People API endpoint and where the grant lives."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from connectors.common.google_account import CONTACTS_READONLY, GoogleAccount


class GcontactsAccount(GoogleAccount):
    """`api_endpoint` is the People API's root (its discovery document has no service path);
    `page_size` is people.connections.list's pageSize (at most 1,000)."""

    kind: Literal["gcontacts"]
    api_endpoint: str = "https://people.googleapis.com"
    page_size: int = Field(default=1000, ge=1, le=1000)

    def needed_scopes(self) -> tuple[str, ...]:
        return (CONTACTS_READONLY,)

    def service_endpoint(self) -> str:
        return f"{self.api_endpoint.rstrip('/')}/"
