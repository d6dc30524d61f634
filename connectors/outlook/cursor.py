"""The Outlook cursor: each delta collection's round state, per mailbox.

Version 1, delegated: `{"v": 1, "calendar": RoundState, "mail": {"sent": …, "inbox": …}}`;
app mode: `{"v": 1, "users": {upn: that mailbox state}}` (RoundState: see
connectors.outlook.delta). Version 0 (before versions) had the same fields without "v" — or,
saved before mail was read, a mailbox's state was the calendar's RoundState by itself
(`{"window": …, …}`); the upgrade puts it under "calendar".
"""

from __future__ import annotations

from typing import Any

from connectors.cursor import CursorFormat, Fields

State = dict[str, Any]


def _mailbox(raw: object) -> object:
    """A version-0 mailbox state: a bare calendar state moves under "calendar"."""
    if isinstance(raw, dict) and "window" in raw:
        return {"calendar": raw}
    return raw


def _upgrade(version: int, fields: Fields) -> Fields:
    if version == 0:
        if "window" in fields:
            fields = {"calendar": fields}
        users = fields.get("users")
        if isinstance(users, dict):
            fields = {**fields, "users": {user: _mailbox(state) for user, state in users.items()}}
    return fields


def _dump(state: State) -> Fields:
    return state


def _load(fields: Fields) -> State:
    return fields


CURSOR: CursorFormat[State] = CursorFormat(
    source="outlook", version=1, dump=_dump, load=_load, upgrade=_upgrade
)
