"""The vCard cursor: which export content was read (its digest) and how far.

Version 1 is `{"v": 1, "digest": …, "done": …}`; version 0 (before versions) had the same
fields without "v".
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.cursor import CursorFormat, Fields


@dataclass(frozen=True, slots=True)
class Cursor:
    """`done` units (cards, or unreadable files) of the file set with this digest are stored."""

    digest: str
    done: int


def _dump(cursor: Cursor) -> Fields:
    return {"digest": cursor.digest, "done": cursor.done}


def _load(fields: Fields) -> Cursor:
    return Cursor(str(fields["digest"]), int(fields["done"]))


CURSOR = CursorFormat(source="vcard", version=1, dump=_dump, load=_load)
