"""The gcal cursor: which calendars the account's `calendars` setting resolved to, and where
each calendar's read stands.

Version 1: `{"v": 1, "spec": [the setting], "ids": [calendar ids], "me": "<primary id>",
"cals": {calendar id: CalState}}`. A CalState is one calendar's round: its window
(`[timeMin, timeMax]`, RFC 3339 UTC), the round id, the phase, the sync token, and the page
in progress (`page`: the pageToken that fetched it, "" for the first; `off`: its events
already delivered). Phases:
- `full`: the round's full read of its window (ends with a sweep of that window);
- `sync`: changes since `sync` (the incremental read; `page` set while it spans pages);
- `extend`: the window's end moved on: a read of `[ext[0], ext[1])` (events that were beyond
  the old lookahead and have not changed since); `sync` is kept for the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from connectors.cursor import CursorFormat, Fields

Phase = Literal["full", "sync", "extend"]


@dataclass(frozen=True, slots=True)
class CalState:
    window: tuple[str, str]
    round: str
    phase: Phase = "full"
    sync: str = ""
    page: str = ""
    off: int = 0
    ext: tuple[str, str] | None = None

    def at(self, page: str, off: int) -> CalState:
        return replace(self, page=page, off=off)

    def to_json(self) -> Fields:
        out: Fields = {"window": list(self.window), "round": self.round, "phase": self.phase}
        if self.sync:
            out["sync"] = self.sync
        if self.page:
            out["page"] = self.page
        if self.off:
            out["off"] = self.off
        if self.ext is not None:
            out["ext"] = list(self.ext)
        return out

    @classmethod
    def from_json(cls, data: Fields) -> CalState:
        phase = str(data.get("phase", "full"))
        if phase not in ("full", "sync", "extend"):
            raise ValueError(f"unknown phase {phase!r}")
        window = data["window"]
        ext = data.get("ext")
        return cls(
            (str(window[0]), str(window[1])),
            str(data["round"]),
            phase,  # type: ignore[arg-type]
            str(data.get("sync", "")),
            str(data.get("page", "")),
            int(data.get("off", 0)),
            (str(ext[0]), str(ext[1])) if ext else None,
        )


@dataclass
class GcalState:
    spec: list[str]
    ids: list[str]
    me: str = ""
    cals: dict[str, CalState] = field(default_factory=dict)


def _dump(state: GcalState) -> Fields:
    return {
        "spec": state.spec,
        "ids": state.ids,
        "me": state.me,
        "cals": {cal: s.to_json() for cal, s in state.cals.items()},
    }


def _load(fields: Fields) -> GcalState:
    cals = fields.get("cals") or {}
    if not isinstance(cals, dict):
        raise TypeError("cals is not an object")
    return GcalState(
        [str(s) for s in fields["spec"]],
        [str(i) for i in fields["ids"]],
        str(fields.get("me", "")),
        {str(cal): CalState.from_json(s) for cal, s in cals.items()},
    )


CURSOR: CursorFormat[GcalState] = CursorFormat(source="gcal", version=1, dump=_dump, load=_load)
