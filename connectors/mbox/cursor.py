"""The mbox cursor: where reading resumes (file, byte offset, the file's signature) and, while
a full read is under way, the round it must finish with.

Version 1 is `{"v": 1, "file", "offset", "sig"[, "pre"][, "round"]}`; version 0 (before
versions) had the same fields without "v" — and a cursor from before rounds has no "pre".
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.cursor import CursorFormat, Fields


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading resumes: a file (relative path), a byte offset and the file's signature.

    `pre` is the digest of every file's signature up to and including `file` (so a changed
    earlier file is noticed); `round` is set while a full read is under way (not in the cursor
    of its last batch) and is the id it must finish with."""

    file: str
    offset: int
    sig: str
    pre: str | None = None
    round: str | None = None


def _dump(position: Position) -> Fields:
    data: Fields = {"file": position.file, "offset": position.offset, "sig": position.sig}
    if position.pre is not None:
        data["pre"] = position.pre
    if position.round is not None:
        data["round"] = position.round
    return data


def _load(fields: Fields) -> Position:
    pre, round_id = fields.get("pre"), fields.get("round")
    return Position(
        str(fields["file"]),
        int(fields["offset"]),
        str(fields["sig"]),
        None if pre is None else str(pre),
        None if round_id is None else str(round_id),
    )


CURSOR = CursorFormat(source="mbox", version=1, dump=_dump, load=_load)
