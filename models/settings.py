"""The base of every config section, and of every source's account settings.

Sections are strict (an unknown key is an error that names it, never silently ignored) and
frozen (a loaded config never changes under a running sync). `AccountSettings` is what every
`[[accounts]]` entry has, whatever its source: each source declares its own subclass in
connectors/<kind>/settings.py, and models.config accepts exactly the kinds that
connectors.registry lists. It lives here, below both, so neither imports the other for it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountSettings(Strict):
    """One `[[accounts]]` entry: `name` keys its sync state; `kind` picks its source."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str
