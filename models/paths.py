"""Where keepwarm's files live by default, and how a configured path is read.

Kept apart from models.config so that the sources' own settings (connectors/<kind>/settings.py)
can resolve their paths without importing the config, which imports them.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def default_store_url() -> str:
    return f"sqlite:///{data_home() / 'keepwarm' / 'keepwarm.db'}"


def expand(path: str) -> Path:
    """`~` and `$VARS` expanded, as every path in the config is."""
    return Path(os.path.expandvars(path)).expanduser()
