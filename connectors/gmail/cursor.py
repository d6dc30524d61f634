"""The Gmail cursor: a backfill in progress, or the historyId the nightly sync continues from.

Version 1 is `{"v": 1, "backfill": {BackfillState's fields}}` during a backfill, else
`{"v": 1, "history_id": N[, "off": K]}` (K: messages of the history listing from N already
stored). Version 0 (before versions) had the same fields without "v".

The backfill state keeps the historyId seeded from getProfile *before* listing, so mail arriving
during the backfill is caught by the next nightly sync, plus the position reached, so an
interrupted backfill resumes with no gap and no repeat (see connectors.gmail.backfill).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from connectors.base import Window
from connectors.cursor import CursorFormat, Fields


@dataclass
class BackfillState:
    """Where a backfill is; carried in every batch's cursor."""

    history_id: int
    phase: str = "sent"  # "sent" → "inbound" → "done"
    after: str = ""  # sent phase: the last SENT thread id stored (ids descend)
    page: str = ""  # inbound phase: token of the listing page in progress
    off: int = 0  # inbound phase: listed messages of that page already stored
    label: str | None = None  # inbound listing label; "" = no categories, list everything
    since: int | None = None  # window bounds, ms since the epoch
    until: int | None = None
    end_history: int | None = None  # historyId to hand the nightly sync when done
    round: str = ""  # mark-and-sweep round id ("" in cursors from before sweeping rounds)

    def window(self) -> Window | None:
        if self.since is None and self.until is None:
            return None
        return Window(
            datetime.fromtimestamp(self.since / 1000, UTC) if self.since is not None else None,
            datetime.fromtimestamp(self.until / 1000, UTC) if self.until is not None else None,
        )

    def finished(self) -> Nightly:
        """Where the nightly sync starts once this backfill is done."""
        return Nightly(self.end_history if self.end_history is not None else self.history_id)


@dataclass(frozen=True, slots=True)
class Nightly:
    """History since `history_id`; `off` changed messages of that listing already stored."""

    history_id: int
    off: int = 0


GmailState = BackfillState | Nightly


def _dump(state: GmailState) -> Fields:
    if isinstance(state, BackfillState):
        return {"backfill": asdict(state)}
    data: Fields = {"history_id": state.history_id}
    if state.off:
        data["off"] = state.off
    return data


def _load(fields: Fields) -> GmailState:
    if "backfill" in fields:
        return BackfillState(**fields["backfill"])
    return Nightly(int(fields["history_id"]), int(fields.get("off", 0)))


CURSOR: CursorFormat[GmailState] = CursorFormat(source="gmail", version=1, dump=_dump, load=_load)
