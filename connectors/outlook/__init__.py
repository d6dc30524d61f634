"""The outlook source."""

from connectors.outlook.connector import build

__all__ = ["build"]
