"""The `kind = "vcard"` account: `path` is the export (a file or a folder of them)."""

from __future__ import annotations

from typing import Literal

from connectors.common.files import FileAccount


class VcardAccount(FileAccount):
    kind: Literal["vcard"]
