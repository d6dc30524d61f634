"""The vcard source."""

from connectors.vcard.connector import build

__all__ = ["build"]
