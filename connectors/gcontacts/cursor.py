"""The gcontacts cursor.

Version 1: `{"v": 1, "groups": {resource name: category}, "round": id, "phase": "full"|"sync",
"sync": token, "page": token, "off": n}` — the contact groups' names as last read (a rename
re-reads every contact, since members do not change when their group is renamed), the round
the cards were last fully read in, the phase (`full`: reading every contact, with a sweep at
the end; `sync`: changes since `sync`), and the page in progress (`page`: the pageToken that
fetched it, "" for the first; `off`: its contacts already delivered).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from connectors.cursor import CursorFormat, Fields

Phase = Literal["full", "sync"]


@dataclass(frozen=True)
class ContactsState:
    round: str
    phase: Phase = "full"
    sync: str = ""
    page: str = ""
    off: int = 0
    groups: dict[str, str] = field(default_factory=dict)

    def at(self, page: str, off: int) -> ContactsState:
        return replace(self, page=page, off=off)


def _dump(state: ContactsState) -> Fields:
    out: Fields = {"round": state.round, "phase": state.phase, "groups": state.groups}
    if state.sync:
        out["sync"] = state.sync
    if state.page:
        out["page"] = state.page
    if state.off:
        out["off"] = state.off
    return out


def _load(fields: Fields) -> ContactsState:
    phase = str(fields.get("phase", "full"))
    if phase not in ("full", "sync"):
        raise ValueError(f"unknown phase {phase!r}")
    groups = fields.get("groups") or {}
    if not isinstance(groups, dict):
        raise TypeError("groups is not an object")
    return ContactsState(
        str(fields["round"]),
        phase,  # type: ignore[arg-type]
        str(fields.get("sync", "")),
        str(fields.get("page", "")),
        int(fields.get("off", 0)),
        {str(k): str(v) for k, v in groups.items()},
    )


CURSOR: CursorFormat[ContactsState] = CursorFormat(
    source="gcontacts", version=1, dump=_dump, load=_load
)
