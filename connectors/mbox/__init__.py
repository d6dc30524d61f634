"""The mbox source."""

from connectors.mbox.connector import build

__all__ = ["build"]
