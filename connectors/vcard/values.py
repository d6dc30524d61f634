"""Decoding one vCard property value: quoted-printable, CHARSET, escapes, birthdays.

vobject's ContentLine decodes QP itself but raises UnicodeDecodeError (not a VObjectError,
so ignoreUnreadable does not catch it) on one stray byte, and its text behaviour cuts
`FN:Doe, John` at the comma. We take the raw value from vobject's line grammar and decode here.
"""

from __future__ import annotations

import binascii
import codecs
import re
from datetime import date, datetime

_SURROGATE = re.compile("[\udc80-\udcff]")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})(?:T.*)?")
# Address books store "no year" as one of these (Apple and CardBook use 1604).
_NO_YEAR_SENTINELS = frozenset({0, 1604})
_TEXT_FORMATS_NO_YEAR = ("%B %d", "%b %d", "%d %B", "%d %b", "%d. %B", "%d. %b")
_TEXT_FORMATS = (
    "%B %d %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d. %B %Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
)


def codec_of(charset: str | None) -> str | None:
    """The Python codec for a CHARSET parameter, or None if unknown or absent."""
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().strip('"')).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset; UTF-8 next; then the declared one (or cp1252) lossy."""
    declared = codec_of(charset)
    for codec in (declared, "utf-8"):
        if codec:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    return data.decode(declared or "cp1252", errors="replace")


def decode_value(value: str, *, qp: bool, charset: str | None, clean: bool) -> str:
    """A property value as text. `clean` False means the file held non-UTF-8 bytes, which
    `vcard.lines.decode_file` kept as surrogate escapes."""
    if qp:
        raw = value.encode("utf-8", errors="surrogateescape")
        return decode_bytes(binascii.a2b_qp(raw), charset)
    if not clean and _SURROGATE.search(value):
        return decode_bytes(value.encode("utf-8", errors="surrogateescape"), charset)
    return value


def unescape(value: str) -> str:
    """vCard text escapes: `\\n`/`\\N` newline, `\\,` `\\;` `\\\\` and any other `\\x` -> x."""
    if "\\" not in value:
        return value
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def split_escaped(value: str, sep: str) -> list[str]:
    """Split on `sep` unless backslash-escaped; the parts stay escaped."""
    if "\\" not in value:
        return value.split(sep)
    parts: list[str] = []
    buf: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            buf.append(value[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def squash(text: str) -> str:
    """One line, single spaces."""
    return " ".join(text.split())


def _month_day(year: int | None, month: int, day: int) -> str | None:
    try:
        date(2000 if year is None else year, month, day)
    except ValueError:
        return None
    if year is None:
        return f"--{month:02d}-{day:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_birthday(raw: str) -> str | None:
    """`YYYY-MM-DD`, `--MM-DD` (no year) or None: ISO basic/extended, `--0415`, date-times,
    and English text such as "April 15" or "15 April 1985"."""
    text = squash(raw)
    if not text:
        return None
    match = _NO_YEAR.fullmatch(text)
    if match:
        return _month_day(None, int(match[1]), int(match[2]))
    match = _ISO_DATE.fullmatch(text)
    if match:
        year = int(match[1])
        return _month_day(
            None if year in _NO_YEAR_SENTINELS else year, int(match[2]), int(match[3])
        )
    for fmt in _TEXT_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return _month_day(parsed.year, parsed.month, parsed.day)
    for fmt in _TEXT_FORMATS_NO_YEAR:
        try:
            parsed = datetime.strptime(f"{text} 2000", f"{fmt} %Y")
        except ValueError:
            continue
        return _month_day(None, parsed.month, parsed.day)
    return None
