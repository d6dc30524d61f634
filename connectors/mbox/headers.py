"""Reading raw mail headers the way real exports write them: never raising, always text.

Encoded words with unknown charsets, raw 8-bit names, hour 27, year 3609 and missing Dates
all occur in real mailboxes; every helper here degrades to something usable or None.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header
from email.utils import parsedate_to_datetime
from typing import Literal, TypeGuard

from models.identity import parse_addresses

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
DateSource = Literal["date", "received", "from_line"]

_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_MSGID = re.compile(r"<([^<>]+)>")
_FROM_LINE_DATE = re.compile(
    r"(?P<mon>[A-Za-z]{3})\s+(?P<day>\d{1,2})\s+(?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?:\s+(?P<tz>[+-]\d{4}|[A-Z]{2,5}))?\s+(?P<year>\d{4})\b"
)


def undo_8bit(raw: str) -> str:
    """Header bytes outside ASCII (surrogate-escaped by the parser) as UTF-8, else cp1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in raw):
        return raw
    data = raw.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _unfold(text: str) -> str:
    return re.sub(r"[\r\n]+[ \t]*", " ", text).strip()


def decode_words(raw: str) -> str:
    """RFC 2047 decoding that survives unknown charsets and broken base64."""
    text = _unfold(undo_8bit(raw))
    try:
        parts = decode_header(text)
    except Exception:
        return text
    out: list[str] = []
    for value, charset in parts:
        if isinstance(value, str):
            out.append(value)
            continue
        try:
            out.append(value.decode(charset or "ascii", "replace"))
        except LookupError:
            out.append(value.decode("latin-1"))
    return "".join(out)


def header_text(name: str, raw: str) -> str:
    """The decoded value as `policy.default` renders it (quoted names stay parseable).

    Plain ASCII without encoded words reads the same raw, and skipping the structured parse
    for it more than doubles throughput.
    """
    if raw.isascii() and "=?" not in raw:
        return _unfold(raw)
    fixed = undo_8bit(raw)
    try:
        return _unfold(str(policy.default.header_fetch_parse(name, fixed)))
    except Exception:
        return decode_words(raw)


def rescue_sender(rendered: str, raw: str) -> str:
    """`From: Big Bug bb@bug.com` (no angle brackets) → `"Big Bug" <bb@bug.com>`."""
    if parse_addresses(rendered):
        return rendered
    text = decode_words(raw)
    found = _ADDRESS.search(text)
    if not found:
        return rendered
    name = (text[: found.start()] + text[found.end() :]).strip(" \t\"'<>,;")
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{found.group(0)}>' if name else found.group(0)


def message_id(raw: str | None) -> str | None:
    """Normalized Message-ID: angle brackets stripped, lower-cased; None when empty."""
    if not raw:
        return None
    text = _unfold(undo_8bit(raw))
    match = _MSGID.search(text)
    value = (match.group(1) if match else text).strip().lower()
    value = re.sub(r"\s+", "", value)
    return value or None


def fallback_id(from_: str | None, date: str | None, to: str | None, subject: str | None) -> str:
    """A stable id for a message without a Message-ID: sha256 over raw header values."""
    joined = "\x00".join(undo_8bit(v or "") for v in (from_, date, to, subject))
    return hashlib.sha256(joined.encode("utf-8", "surrogateescape")).hexdigest()


def _aware(moment: datetime) -> datetime | None:
    try:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def parse_when(raw: str | None) -> datetime | None:
    """An RFC 5322 date (or an ISO-looking one), aware UTC; None if unreadable."""
    if not raw:
        return None
    text = _unfold(undo_8bit(raw))
    if not text:
        return None
    try:
        return _aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


def from_line_date(line: bytes | None) -> datetime | None:
    """The date on an mbox `From sender Tue Jun 20 10:00:00 +0000 2023` separator."""
    if not line:
        return None
    text = line.decode("latin-1")
    parts = text.split(None, 2)
    found = _FROM_LINE_DATE.search(parts[2] if len(parts) == 3 else text)
    if not found:
        return None
    clock = found["time"] if found["time"].count(":") == 2 else found["time"] + ":00"
    stamp = f"{found['day']} {found['mon']} {found['year']} {clock}"
    try:
        moment = datetime.strptime(stamp, "%d %b %Y %H:%M:%S")
    except ValueError:
        return None
    zone = found["tz"] or ""
    if zone[:1] in "+-" and zone:
        sign = 1 if zone[0] == "+" else -1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
        moment = moment.replace(tzinfo=UTC) - sign * offset
    return _aware(moment)


def plausible(moment: datetime | None, limit: datetime) -> TypeGuard[datetime]:
    return moment is not None and EARLIEST <= moment <= limit


def newest_received(values: Iterable[str], now: datetime) -> datetime | None:
    """The newest sensible time among `Received:` headers (the part after the last ';')."""
    newest: datetime | None = None
    for raw in values:
        text = _unfold(undo_8bit(raw))
        if ";" not in text:
            continue
        moment = parse_when(text.rsplit(";", 1)[1])
        if plausible(moment, now + FUTURE_SLACK) and (newest is None or moment > newest):
            newest = moment
    return newest


def pick_date(
    dates: Iterable[str], received: Iterable[str], from_line: bytes | None, now: datetime
) -> tuple[datetime | None, DateSource | None]:
    """The first sensible Date header, else the newest Received time, else the From_ line's.

    A Date more than a day after the newest Received time (or now) is a wrong clock.
    """
    newest = newest_received(received, now)
    limit = (newest or now) + FUTURE_SLACK
    for raw in dates:
        stated = parse_when(raw)
        if plausible(stated, limit):
            return stated, "date"
    if newest is not None:
        return newest, "received"
    separator = from_line_date(from_line)
    if separator is not None and plausible(separator, now + FUTURE_SLACK):
        return separator, "from_line"
    return None, None
