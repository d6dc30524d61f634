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
CHUNK = 1024 * 1024


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


class _Reader:
    """Lines from a binary stream, and a fast skip over bodies to the next `From ` line.

    Bodies are most of a mailbox's bytes; searching 1 MiB blocks for b"\\nFrom " instead of
    iterating their lines in Python is what makes reading a Takeout archive quick.
    """

    def __init__(self, stream: BinaryIO, offset: int, line_no: int) -> None:
        self.stream = stream
        self.buf = b""
        self.pos = 0
        self.base = offset
        self.line_no = line_no
        self.at_bol = True
        self.eof = False

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.stream.read(CHUNK)
        if not data:
            self.eof = True
            return False
        self.base += self.pos
        self.buf = self.buf[self.pos :] + data
        self.pos = 0
        return True

    def readline(self) -> bytes:
        """The next line with its newline (at most LINE_LIMIT bytes); b"" at the end."""
        while True:
            idx = self.buf.find(b"\n", self.pos, self.pos + LINE_LIMIT)
            if idx != -1:
                end = idx + 1
                break
            if len(self.buf) - self.pos >= LINE_LIMIT:
                end = self.pos + LINE_LIMIT
                break
            if not self._fill():
                end = len(self.buf)
                break
        line = self.buf[self.pos : end]
        self.pos = end
        self.at_bol = line.endswith(b"\n")
        if self.at_bol:
            self.line_no += 1
        return line

    def skip_to_from(self) -> int:
        """Move to the start of the next line beginning with `From ` (or the end)."""
        started = self.offset
        while True:
            if self.at_bol:
                if len(self.buf) - self.pos < 5 and self._fill():
                    continue
                if self.buf.startswith(b"From ", self.pos):
                    break
            idx = self.buf.find(b"\nFrom ", self.pos)
            if idx != -1:
                self._move(idx + 1)
                break
            last = self.buf.rfind(b"\n", self.pos)
            if last != -1:
                self._move(last + 1)  # keep the unfinished last line: it may be a From line
            else:
                self.pos, self.at_bol = len(self.buf), False
            if not self._fill():
                self.pos = len(self.buf)
                break
        return self.offset - started

    def _move(self, to: int) -> None:
        self.line_no += self.buf.count(b"\n", self.pos, to)
        self.pos, self.at_bol = to, True


def frame_mbox(
    stream: BinaryIO, start: int, first_line: int, stats: FrameStats
) -> Iterator[RawMessage]:
    """Yield the messages of an mbox from `start`, which is 0 or a message boundary."""
    stream.seek(start)
    reader = _Reader(stream, start, first_line)
    current: _Builder | None = None
    while True:
        line_start, line_no, was_bol = reader.offset, reader.line_no, reader.at_bol
        line = reader.readline()
        if not line:
            break
        if was_bol and line.startswith(b"From ") and is_separator(line):
            if current is not None:
                stats.messages += 1
                yield current.finish(line_start)
            current = _Builder(line_start, line_no, line.rstrip(b"\r\n"))
        elif current is None:
            if line_start == 0 and _HEADER_START.match(line):
                # A file that starts straight with headers: one message without a From_ line.
                current = _Builder(0, line_no, None)
                current.feed(line, True)
            else:
                stats.preamble_bytes += len(line) + reader.skip_to_from()
        elif current.in_header:
            current.feed(line, was_bol)
            if not current.in_header:
                reader.skip_to_from()
        else:
            reader.skip_to_from()  # a body line that starts with "From " but is no separator
    if current is not None:
        stats.messages += 1
        yield current.finish(reader.offset)


def read_single(stream: BinaryIO, stats: FrameStats) -> RawMessage:
    """One .eml: an optional From_ line, then headers; the body is never read."""
    stream.seek(0)
    reader = _Reader(stream, 0, 1)
    first = reader.readline()
    if first.startswith(b"From "):
        current = _Builder(0, 1, first.rstrip(b"\r\n"))
    else:
        current = _Builder(0, 1, None)
        current.feed(first, True)
    while current.in_header and (line := reader.readline()):
        current.feed(line, True)
    stats.messages += 1
    return current.finish(stream.seek(0, 2))


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
