"""Splitting a .vcf file into cards of logical lines, each line keeping its line number.

We frame cards ourselves instead of calling `vobject.readComponents` on the whole file: there,
one bad line ends the file (or, with ignoreUnreadable, vanishes without a trace), and a card
without END swallows the rest. Framing first lets one bad card become a `file:line` Skip while
every other card loads.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# CR CR LF (old iOS exports), CR LF, LF and bare CR are all one line break.
_NEWLINE = re.compile(r"\r*\n|\r")
_BEGIN = re.compile(r"(?:[A-Za-z0-9_-]+\.)?BEGIN[ \t]*:[ \t]*VCARD[ \t]*$", re.IGNORECASE)
_END = re.compile(r"(?:[A-Za-z0-9_-]+\.)?END[ \t]*:[ \t]*VCARD[ \t]*$", re.IGNORECASE)
# A QP value ending in `=` right before END:VCARD is broken, but must not swallow the END.
_BOUNDARY = re.compile(r"(?:BEGIN|END)[ \t]*:[ \t]*VCARD[ \t]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DecodedFile:
    """`clean` is False when the bytes were not UTF-8: undecodable bytes are kept as
    surrogate escapes so a property's CHARSET can decode them later."""

    text: str
    clean: bool


@dataclass(slots=True)
class RawCard:
    """The logical lines between BEGIN:VCARD (at `line`) and its END:VCARD."""

    line: int
    lines: list[tuple[int, str]] = field(default_factory=list)
    closed: bool = False


def decode_file(data: bytes) -> DecodedFile:
    """Text of a .vcf: BOMs honoured, UTF-16 without BOM sniffed, legacy bytes escaped."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec != "utf-8-sig":
                return DecodedFile(data.decode(codec, errors="replace"), True)
            data = data[len(bom) :]
            break
    if data[:1] == b"\x00" and data[1:2] not in (b"", b"\x00"):
        return DecodedFile(data.decode("utf-16-be", errors="replace"), True)
    if data[1:2] == b"\x00" and data[:1] not in (b"", b"\x00"):
        return DecodedFile(data.decode("utf-16-le", errors="replace"), True)
    try:
        return DecodedFile(data.decode("utf-8"), True)
    except UnicodeDecodeError:
        return DecodedFile(data.decode("utf-8", errors="surrogateescape"), False)


def _is_qp(line: str) -> bool:
    head = line.partition(":")[0]
    return "quoted-printable" in head.lower()


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Unfold lines (leading space/tab) and join vCard 2.1 quoted-printable soft breaks
    (a QP value ending in `=` continues on the next line, indented or not)."""
    current: list[str] = []
    start = 0
    qp = False
    for number, line in enumerate(_NEWLINE.split(text), 1):
        if current and qp and current[-1].endswith("=") and not _BOUNDARY.match(line):
            current[-1] = current[-1][:-1]
            current.append(line)
            continue
        if not line or line.isspace():
            if current:
                yield start, "".join(current)
                current = []
            continue
        if current and line[0] in " \t":
            current.append(line[1:])
            continue
        if current:
            yield start, "".join(current)
        current = [line]
        start = number
        qp = _is_qp(line)
    if current:
        yield start, "".join(current)


def split_cards(text: str) -> list[RawCard]:
    """Every card in file order (by BEGIN line); a nested BEGIN opens a card of its own and
    a card never closed is returned with `closed=False`."""
    done: list[RawCard] = []
    stack: list[RawCard] = []
    for number, line in logical_lines(text):
        if _BEGIN.match(line):
            stack.append(RawCard(number))
        elif _END.match(line):
            if stack:
                card = stack.pop()
                card.closed = True
                done.append(card)
        elif stack:
            stack[-1].lines.append((number, line))
    done.extend(stack)
    done.sort(key=lambda card: card.line)
    return done
