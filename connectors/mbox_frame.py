"""Splitting an mbox (or one .eml) into messages by streaming its bytes.

Only each message's header block is kept; bodies are read past and dropped, so memory stays
flat however large the file. Every message carries its byte offsets, which make the cursor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# A separator is "From <sender> <asctime-ish date>"; requiring the date keeps an unquoted
# "From time to time" body line (mboxo) from splitting a message.
_SEPARATOR = re.compile(
    rb"^From \S*[ \t]+(?:[A-Za-z]{3},?[ \t]+)?[A-Za-z]{3}[ \t]+\d{1,2}[ \t]+\d{1,2}:\d{2}"
)
_HEADER_START = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+[ \t]*:|From )")
LINE_LIMIT = 64 * 1024
HEADER_LIMIT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message as framed: where it lies in the file, its From_ line and header bytes."""

    start: int
    end: int
    line: int
    from_line: bytes | None
    header: bytes


@dataclass(slots=True)
class FrameStats:
    """What the framer saw besides messages (a preamble, a file that is no mailbox)."""

    preamble_bytes: int = 0
    messages: int = 0


def is_separator(line: bytes) -> bool:
    return bool(_SEPARATOR.match(line))


def _is_blank(line: bytes) -> bool:
    return line in (b"\n", b"\r\n", b"\r")


class _Builder:
    """Accumulates one message's header block while its body streams past."""

    def __init__(self, start: int, line: int, from_line: bytes | None) -> None:
        self.start = start
        self.line = line
        self.from_line = from_line
        self.parts: list[bytes] = []
        self.size = 0
        self.in_header = True

    def feed(self, chunk: bytes, at_bol: bool) -> None:
        if not self.in_header:
            return
        if at_bol and _is_blank(chunk):
            self.in_header = False
            return
        if self.size < HEADER_LIMIT:
            self.parts.append(chunk)
            self.size += len(chunk)

    def finish(self, end: int) -> RawMessage:
        return RawMessage(self.start, end, self.line, self.from_line, b"".join(self.parts))


def frame_mbox(
    stream: BinaryIO, start: int, first_line: int, stats: FrameStats
) -> Iterator[RawMessage]:
    """Yield the messages of an mbox from `start`, which is 0 or a message boundary."""
    stream.seek(start)
    offset, line_no, at_bol = start, first_line, True
    current: _Builder | None = None
    while chunk := stream.readline(LINE_LIMIT):
        if at_bol and chunk.startswith(b"From ") and is_separator(chunk):
            if current is not None:
                stats.messages += 1
                yield current.finish(offset)
            current = _Builder(offset, line_no, chunk.rstrip(b"\r\n"))
        elif current is not None:
            current.feed(chunk, at_bol)
        elif offset == 0 and _HEADER_START.match(chunk):
            # A file that starts straight with headers: one message without a From_ line.
            current = _Builder(offset, line_no, None)
            current.feed(chunk, at_bol)
        else:
            stats.preamble_bytes += len(chunk)
        offset, line_no, at_bol = _advance(offset, line_no, chunk)
    if current is not None:
        stats.messages += 1
        yield current.finish(offset)


def read_single(stream: BinaryIO, stats: FrameStats) -> RawMessage:
    """One .eml: an optional From_ line, then headers; the body is never read."""
    stream.seek(0)
    first = stream.readline(LINE_LIMIT)
    from_line: bytes | None = None
    current = _Builder(0, 1, None)
    at_bol = True
    if first.startswith(b"From "):
        from_line = first.rstrip(b"\r\n")
        current = _Builder(0, 1, from_line)
    else:
        current.feed(first, at_bol)
    at_bol = first.endswith(b"\n")
    while current.in_header and (chunk := stream.readline(LINE_LIMIT)):
        current.feed(chunk, at_bol)
        at_bol = chunk.endswith(b"\n")
    end = stream.seek(0, 2)
    stats.messages += 1
    return current.finish(end)


def _advance(offset: int, line_no: int, chunk: bytes) -> tuple[int, int, bool]:
    ends_line = chunk.endswith(b"\n")
    return offset + len(chunk), line_no + (1 if ends_line else 0), ends_line


def count_lines(stream: BinaryIO, upto: int) -> int:
    """1-based line number at byte `upto`, so a resumed run still names lines correctly."""
    stream.seek(0)
    remaining = upto
    lines = 1
    while remaining > 0:
        block = stream.read(min(remaining, 1 << 20))
        if not block:
            break
        lines += block.count(b"\n")
        remaining -= len(block)
    return lines
