"""Gmail through the API: metadata only, quota-planned backfill, cheap nightly history sync."""

from __future__ import annotations

from typing import Any

from connectors.base import Me
from connectors.gmail.connector import GmailConnector
from models.config import GmailAccount

__all__ = ["GmailConnector", "build"]


def build(account: GmailAccount, me: Me, **options: Any) -> GmailConnector:
    return GmailConnector(account, me, **options)
