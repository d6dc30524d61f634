"""Reading one .ics file into meeting occurrences, surviving whatever exporters produce.

Real exports are often broken (unclosed VEVENTs, invalid dates, odd TZIDs, bad VTIMEZONE
offsets). One bad event must not cost the rest of the file, so a file that icalendar cannot
read as a whole is re-read one VEVENT block at a time (with the file's readable VTIMEZONEs),
and a series that recurring-ical-events cannot expand falls back to its single DTSTART.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Literal

import recurring_ical_events
from icalendar import Calendar, Component, vBroken
from icalendar.timezone import tzp

from connectors.base import Me, as_utc
from connectors.common.meeting import Attendee, meeting_interaction
from models.records import Interaction, Skip

Status = Literal["parsed", "partial", "skipped"]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK = re.compile(r"^(BEGIN|END)\s*:\s*([A-Za-z0-9-]+)\s*$", re.IGNORECASE)
_RESOURCE_TYPES = frozenset({"ROOM", "RESOURCE"})


@dataclass(slots=True)
class FileResult:
    """What one file gave: occurrences in stable order, skips, and fallbacks taken (notes)."""

    path: Path
    interactions: list[Interaction] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    events: int = 0
    salvaged: bool = False
    notes: Counter[str] = field(default_factory=Counter)

    @property
    def status(self) -> Status:
        if self.events == 0:
            return "skipped"
        return "partial" if self.skips else "parsed"


@dataclass(slots=True)
class _Context:
    """Calendar-level facts an event needs: its floating-time zone and METHOD."""

    default_tz: tzinfo = UTC
    method: str = ""


@dataclass(slots=True)
class _Block:
    name: str
    first: int  # 1-based line of BEGIN
    lines: list[str]
    closed: bool


# Warnings counted as notes: the calendar libraries' and this module's own.
_CALENDAR_LIBRARIES = ("icalendar", "recurring_ical_events", "x_wr_timezone", __file__)


def read_ics_file(
    path: Path, *, account: str, me: Me, start: datetime, end: datetime
) -> FileResult:
    """Occurrences of `path` starting in [start, end), sorted by start then UID."""
    result = FileResult(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _read(path, result, account=account, me=me, start=start, end=end)
    for warning in caught:
        # catch_warnings is process-wide: count only what the calendar libraries said, not
        # warnings other threads (e.g. another account's sync) raised meanwhile.
        if any(lib in warning.filename for lib in _CALENDAR_LIBRARIES):
            result.notes[f"warning: {warning.category.__name__}"] += 1
    return result


def _read(
    path: Path, result: FileResult, *, account: str, me: Me, start: datetime, end: datetime
) -> None:
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        result.skips.append(Skip(str(path), f"unreadable file: {exc.strerror or exc}"))
        return
    lines = _LINE_BREAK.split(text)
    event_lines = [n for n, line in enumerate(lines, 1) if _is(line, "BEGIN", "VEVENT")]
    if not event_lines:
        kinds = sorted({m.group(2).upper() for m in map(_BLOCK.match, lines) if m} - {"VCALENDAR"})
        found = f" (only {', '.join(kinds)})" if kinds else ""
        result.skips.append(Skip(str(path), f"no events{found}"))
        return
    whole = _parse_whole(text, lines, len(event_lines)) if _balanced(lines) else None
    events: list[tuple[Component, _Context, str]]
    if whole is None:
        result.salvaged = True
        events = list(_salvage(path, lines, result))
    else:
        events = [
            (comp, ctx, f"{path}:{line}")
            for (comp, ctx), line in zip(whole, event_lines, strict=True)
        ]
    _expand_all(events, result, account=account, me=me, start=start, end=end)


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")


def _is(line: str, verb: str, name: str) -> bool:
    match = _BLOCK.match(line)
    return bool(match and match.group(1).upper() == verb and match.group(2).upper() == name)


def _balanced(lines: list[str]) -> bool:
    """Every BEGIN has its END in order: otherwise icalendar may silently drop events."""
    stack: list[str] = []
    for line in lines:
        match = _BLOCK.match(line)
        if not match:
            continue
        verb, name = match.group(1).upper(), match.group(2).upper()
        if verb == "BEGIN":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def _parse_whole(
    text: str, lines: list[str], expected: int
) -> list[tuple[Component, _Context]] | None:
    """All VEVENTs with their calendar context, or None when the file needs salvaging."""
    top = next((m.group(2).upper() for m in map(_BLOCK.match, lines) if m), "")
    if top != "VCALENDAR":  # bare VEVENTs / VTIMEZONEs without a wrapper
        text = f"BEGIN:VCALENDAR\r\n{text}\r\nEND:VCALENDAR\r\n"
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except Exception:
        return None
    events: list[tuple[Component, _Context]] = []
    for calendar in calendars:
        context = _context_of(calendar)
        events.extend((comp, context) for comp in calendar.walk("VEVENT"))
    return events if len(events) == expected else None


def _context_of(calendar: Component) -> _Context:
    context = _Context(method=str(calendar.get("METHOD", "")).strip().upper())
    name = calendar.get("X-WR-TIMEZONE")
    if name:
        zone = _zone(str(name))
        if zone is not None:
            context.default_tz = zone
    return context


def _zone(name: str) -> tzinfo | None:
    try:
        return tzp.timezone(name.strip())
    except Exception:
        return None


def _blocks(lines: list[str]) -> Iterator[_Block]:
    """Top-level VEVENT/VTIMEZONE blocks; an unclosed one ends where the next one begins."""
    current: _Block | None = None
    for number, line in enumerate(lines, 1):
        match = _BLOCK.match(line)
        verb = match.group(1).upper() if match else ""
        name = match.group(2).upper() if match else ""
        opens = verb == "BEGIN" and name in {"VEVENT", "VTIMEZONE"}
        if current is not None:
            if verb == "END" and name == current.name:
                current.lines.append(line)
                current.closed = True
                yield current
                current = None
                continue
            if opens or (verb == "END" and name == "VCALENDAR"):
                yield current
                current = None
            else:
                current.lines.append(line)
                continue
        if opens:
            current = _Block(name, number, [line], False)
    if current is not None:
        yield current


def _top_level_property(lines: list[str], name: str) -> str:
    depth = 0
    prefix = name.upper() + ":"
    for line in lines:
        match = _BLOCK.match(line)
        if match:
            depth += 1 if match.group(1).upper() == "BEGIN" else -1
        elif depth == 1 and line.upper().startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def _without_alarms(lines: list[str]) -> list[str]:
    kept: list[str] = []
    inside = 0
    for line in lines:
        if _is(line, "BEGIN", "VALARM"):
            inside += 1
        elif inside and _is(line, "END", "VALARM"):
            inside -= 1
        elif not inside:
            kept.append(line)
    return kept


def _salvage(
    path: Path, lines: list[str], result: FileResult
) -> Iterator[tuple[Component, _Context, str]]:
    """Read a file icalendar rejected whole: one VEVENT block at a time."""
    context = _Context(method=_top_level_property(lines, "METHOD").upper())
    zone = _top_level_property(lines, "X-WR-TIMEZONE")
    if zone:
        context.default_tz = _zone(zone) or UTC
    blocks = list(_blocks(lines))
    zones: list[str] = []
    for block in blocks:
        if block.name != "VTIMEZONE":
            continue
        if not block.closed:
            result.skips.append(Skip(f"{path}:{block.first}", "VTIMEZONE never closed"))
            continue
        body = "\r\n".join(block.lines)
        try:
            Calendar.from_ical(f"BEGIN:VCALENDAR\r\n{body}\r\nEND:VCALENDAR\r\n")
        except Exception as exc:
            tzid = _top_level_property(["BEGIN:X", *block.lines[1:]], "TZID") or "?"
            result.skips.append(
                Skip(
                    f"{path}:{block.first}",
                    f"unreadable VTIMEZONE {tzid!r} ({_short(exc)}); its events use the "
                    "IANA zone of that name if there is one, else UTC",
                )
            )
            continue
        zones.append(body)
    zone_text = "\r\n".join(zones)
    for block in blocks:
        if block.name != "VEVENT":
            continue
        where = f"{path}:{block.first}"
        if not block.closed:
            result.skips.append(Skip(where, "VEVENT never closed (missing END:VEVENT)"))
            continue
        component = _parse_block(block.lines, zone_text)
        if isinstance(component, Exception):
            result.skips.append(Skip(where, f"unreadable VEVENT: {_short(component)}"))
            continue
        yield component, context, where


def _parse_block(lines: list[str], zone_text: str) -> Component | Exception:
    """One VEVENT wrapped with the file's good VTIMEZONEs; retried without its VALARMs."""
    error: Exception = ValueError("no VEVENT")
    for attempt in (lines, _without_alarms(lines)):
        body = "\r\n".join(attempt)
        try:
            calendar = Calendar.from_ical(
                f"BEGIN:VCALENDAR\r\n{zone_text}\r\n{body}\r\nEND:VCALENDAR\r\n"
            )
        except Exception as exc:
            error = exc
            continue
        found = calendar.walk("VEVENT")
        if found:
            return found[0]
    return error


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _expand_all(
    events: Iterable[tuple[Component, _Context, str]],
    result: FileResult,
    *,
    account: str,
    me: Me,
    start: datetime,
    end: datetime,
) -> None:
    series: dict[tuple[str, int], list[tuple[Component, str]]] = {}
    contexts: dict[tuple[str, int], _Context] = {}
    for component, context, where in events:
        uid = _prepare(component, where, result)
        if uid is None:
            continue
        result.events += 1
        group = (uid, id(context))
        series.setdefault(group, []).append((component, where))
        contexts[group] = context
    out: list[tuple[datetime, str, Interaction]] = []
    seen: set[str] = set()
    for group, members in series.items():
        uid, context = group[0], contexts[group]
        for component, occurrence_start in _occurrences(members, context, result, start, end):
            interaction = _interaction(component, uid, occurrence_start, context, account, me)
            if interaction.key in seen:
                result.notes["duplicate occurrence dropped"] += 1
                continue
            seen.add(interaction.key)
            out.append((occurrence_start, uid, interaction))
    out.sort(key=lambda item: (item[0], item[1], item[2].key))
    result.interactions = [item[2] for item in out]


def _prepare(component: Component, where: str, result: FileResult) -> str | None:
    """Check DTSTART, drop unreadable optional properties, give UID-less events a stable id."""
    broken = {str(name).upper() for name, _ in component.errors}
    if "DTSTART" not in component:
        result.skips.append(Skip(where, "event has no DTSTART"))
        return None
    if "DTSTART" in broken or isinstance(component["DTSTART"], vBroken):
        raw = _raw(component, "DTSTART")
        result.skips.append(Skip(where, f"invalid DTSTART {raw!r}"))
        return None
    if "RECURRENCE-ID" in broken:
        result.skips.append(Skip(where, "invalid RECURRENCE-ID on an override"))
        return None
    for name in list(component.keys()):
        value = component[name]
        if isinstance(value, vBroken):
            del component[name]
            result.notes[f"unreadable {name} ignored"] += 1
        elif isinstance(value, list) and any(isinstance(v, vBroken) for v in value):
            kept = [v for v in value if not isinstance(v, vBroken)]
            del component[name]
            for item in kept:
                component.add(name, item, encode=False)
            result.notes[f"unreadable {name} ignored"] += 1
    _note_time_kind(component, result)
    uid = str(component.get("UID", "")).strip()
    if not uid:
        seed = "\x00".join(_raw(component, name) for name in ("DTSTART", "SUMMARY", "ORGANIZER"))
        uid = "nouid-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:16]
        component["UID"] = uid
        result.notes["no UID: key from hash of DTSTART+SUMMARY+ORGANIZER"] += 1
    return uid


def _raw(component: Component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    try:
        return str(value.to_ical().decode("utf-8", "replace"))
    except Exception:
        return str(value)


# A series yields at most this many occurrences inside the sync window (a daily meeting over
# the default five years and three months is about 1,920): an invite can be crafted to expand
# to millions, and anyone can put one in your calendar.
MAX_OCCURRENCES = 5000
_SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})


def _sub_daily(component: Component) -> str | None:
    """The reason a series recurs more than once a day (its FREQ, or BYHOUR/BYMINUTE/BYSECOND
    lists that multiply a day), else None. Such a series is not expanded: the recurrence
    library would walk every instant from DTSTART (a FREQ=SECONDLY event from years ago takes
    hours), and "met every minute" is not contact anyway."""
    rules = component.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        freq = [str(f).upper() for f in rule.get("FREQ", [])]
        if any(f in _SUB_DAILY for f in freq):
            return f"FREQ={freq[0]}"
        per_day = 1
        for part in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            per_day *= max(1, len(rule.get(part, [])))
        if per_day > 1:
            return f"{per_day} times a day (BYHOUR/BYMINUTE/BYSECOND)"
    return None


def _occurrences(
    members: list[tuple[Component, str]],
    context: _Context,
    result: FileResult,
    start: datetime,
    end: datetime,
) -> Iterator[tuple[Component, datetime]]:
    """(component, start in UTC) of every occurrence in [start, end); series fall back whole.

    Bounded whatever the input: a sub-daily series counts once, at its own DTSTART (and its
    overrides), with a named skip; any series stops at MAX_OCCURRENCES in the window."""
    mini = Calendar()
    for component, _ in members:
        mini.add_component(component)
    # Floating times are read in the calendar's zone, so the query is in that zone too;
    # widen by a day and filter exactly on the UTC start below.
    low = (start - timedelta(days=1)).astimezone(context.default_tz)
    high = (end + timedelta(days=1)).astimezone(context.default_tz)
    masters = [c for c, _ in members if "RECURRENCE-ID" not in c] or [c for c, _ in members]
    dense = next(((why, where) for c, where in members if (why := _sub_daily(c)) is not None), None)
    found: list[Component]
    if dense is not None:
        why, where = dense
        result.skips.append(
            Skip(
                where,
                f"recurs {why}: a sub-daily series is not expanded, it counts once at its start",
            )
        )
        found = [c for c, _ in members]
    else:
        try:
            # At most one occurrence a day per rule now (sub-daily ones are out), so the
            # window's list is bounded by its days; the cap bounds it whatever the rules.
            found = list(recurring_ical_events.of(mini).between(low, high))
            if len(found) > MAX_OCCURRENCES:
                found.sort(key=lambda c: _utc_start(c, context) or high)
                del found[MAX_OCCURRENCES:]
                result.skips.append(
                    Skip(
                        members[0][1],
                        f"more than {MAX_OCCURRENCES} occurrences in the sync window: "
                        "only the first are counted",
                    )
                )
        except Exception:
            found = masters
            result.notes["series not expandable: master DTSTART only"] += 1
    for component in found:
        when = _utc_start(component, context)
        if when is not None and start <= when < end:
            yield component, when


def _utc_start(component: Component, context: _Context) -> datetime | None:
    prop = component.get("DTSTART")
    value: Any = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        return as_utc(value, context.default_tz)
    if isinstance(value, date):
        return as_utc(value, UTC)  # all-day: midnight UTC of that date
    return None


def _note_time_kind(component: Component, result: FileResult) -> None:
    prop: Any = component["DTSTART"]
    value: Any = prop.dt
    if isinstance(value, datetime) and value.tzinfo is None:
        if prop.params.get("TZID"):
            result.notes["unknown TZID read as floating"] += 1
        else:
            result.notes["floating time"] += 1
    elif not isinstance(value, datetime):
        result.notes["all-day (midnight UTC)"] += 1


def _stamp(component: Component, start: datetime, context: _Context) -> str:
    """The occurrence's identity: its original start (RECURRENCE-ID) so a moved one keeps it."""
    rid = component.get("RECURRENCE-ID")
    moment = start
    if rid is not None:
        value: Any = getattr(rid, "dt", None)
        if isinstance(value, datetime):
            moment = as_utc(value, context.default_tz)
        elif isinstance(value, date):
            moment = as_utc(value, UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _attendees(component: Component) -> list[Attendee]:
    people: list[Attendee] = []
    for name, organizer in (("ORGANIZER", True), ("ATTENDEE", False)):
        values = component.get(name)
        if values is None:
            continue
        for value in values if isinstance(values, list) else [values]:
            params = getattr(value, "params", {})
            address = str(value).strip()
            if not address:
                continue
            cutype = str(params.get("CUTYPE", "")).upper()
            people.append(
                Attendee(
                    address=address,
                    name=str(params.get("CN", "")).strip().strip('"') or None,
                    response=str(params.get("PARTSTAT", "")),
                    resource=cutype in _RESOURCE_TYPES,
                    organizer=organizer,
                )
            )
    return people


def _interaction(
    component: Component,
    uid: str,
    start: datetime,
    context: _Context,
    account: str,
    me: Me,
) -> Interaction:
    status = str(component.get("STATUS", "")).strip().upper()
    summary = component.get("SUMMARY")
    return meeting_interaction(
        key=f"ics:{account}:{uid}:{_stamp(component, start, context)}",
        source="ics",
        account=account,
        start=start,
        attendees=_attendees(component),
        me=me,
        cancelled=status == "CANCELLED" or context.method == "CANCEL",
        subject=str(summary) if summary is not None else None,
        thread_id=uid,
    )
