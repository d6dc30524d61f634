"""The ics source."""

from connectors.ics.connector import build

__all__ = ["build"]
