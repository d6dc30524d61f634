"""The `kind = "ics"` account: `path` is the export; events are read in a window around now."""

from __future__ import annotations

from typing import Literal

from connectors.common.files import FileAccount


class IcsAccount(FileAccount):
    kind: Literal["ics"]
    lookback_days: int = 5 * 365
    lookahead_days: int = 90
