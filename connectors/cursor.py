"""One way to write and read a connector's cursor, and one policy when it cannot be read.

The cursor is what the store keeps for an account between syncs (models.store SyncState):
a Gmail historyId, a Graph delta link, a file's content hash and position… Every source writes
it through its `CursorFormat` as one JSON object, `{"v": <version>, <the source's fields>}`,
and reads it back with `decode`:

- no cursor (None or "") → None: never synced (or only backfilled); read from the start;
- `"v"` equal to the format's `version` → `load(fields)`;
- `"v"` older — a cursor written before versions existed has no `"v"` and is version 0 →
  `upgrade(version, fields)` first brings the fields to the current version, then `load`.
  Stores written by every earlier keepwarm keep syncing where they were;
- anything else — not JSON, not an object, a version newer than this keepwarm knows, fields
  that `upgrade` or `load` cannot read → `FatalError` naming the account and the fix.

Never a silent start-over: for a 100,000-message mailbox a full re-read costs hours and a
day's API quota, so it is the user's explicit call (`keepwarm backfill --account NAME`).
A format whose fields change bumps `version` and teaches `upgrade` the step from the last one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from connectors.errors import FatalError

StateT = TypeVar("StateT")
Fields = dict[str, Any]  # one cursor's JSON fields, "v" taken out


def same_fields(_version: int, fields: Fields) -> Fields:
    """The upgrade of a format whose older versions had the fields it has now."""
    return fields


@dataclass(frozen=True)
class CursorFormat(Generic[StateT]):
    """A source's cursor: `dump` a state to its JSON fields, `load` them back (raising
    KeyError/ValueError/TypeError on fields it cannot read), `upgrade` older versions' fields."""

    source: str
    version: int
    dump: Callable[[StateT], Mapping[str, object]]
    load: Callable[[Fields], StateT]
    upgrade: Callable[[int, Fields], Fields] = same_fields

    def encode(self, state: StateT) -> str:
        fields = dict(self.dump(state))
        if "v" in fields:
            raise ValueError(f"{self.source} cursor: the field name 'v' is the codec's")
        return json.dumps({"v": self.version, **fields}, separators=(",", ":"), sort_keys=True)

    def decode(self, cursor: str | None, account: str) -> StateT | None:
        """The saved state, upgraded from an older version if need be; see the module doc."""
        if not cursor:
            return None
        try:
            data = json.loads(cursor)
        except ValueError as exc:
            raise self.unreadable(account, "not JSON") from exc
        if not isinstance(data, dict):
            raise self.unreadable(account, "not a JSON object")
        version = data.pop("v", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise self.unreadable(account, f"version {version!r} is not a version number")
        if version > self.version:
            raise FatalError(
                account,
                f"the saved {self.source} cursor is version {version}, written by a newer "
                f"keepwarm (this one reads up to version {self.version}): upgrade keepwarm, or "
                f"run `keepwarm backfill --account {account}` to re-read the account explicitly",
            )
        try:
            if version < self.version:
                data = self.upgrade(version, data)
            return self.load(data)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise self.unreadable(account, f"{type(exc).__name__}: {exc}") from exc

    def unreadable(self, account: str, why: str) -> FatalError:
        return FatalError(
            account,
            f"the saved {self.source} cursor cannot be read ({why}). keepwarm does not start "
            "over on its own (a full re-read can take hours and a day's API quota): run "
            f"`keepwarm backfill --account {account}` to re-read the account explicitly",
        )
