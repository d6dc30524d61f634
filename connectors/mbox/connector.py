"""Mail exports (Google Takeout mbox, any mbox, .eml files) as email interactions.

Files are streamed in binary and only header blocks are parsed, so a multi-gigabyte Takeout
archive costs no more memory than a small one. The cursor is a byte offset in the sorted file
list, guarded by a signature of the file so a replaced export is read again from its start.

A read from the start of the account (no cursor, a replaced or removed file, a backfill
window) is a full read ("round"): every batch carries the round id (a hash of every file's
signature, plus the window) and the last one a `Sweep`, so messages no longer in the export
(a new Takeout from which mail was deleted) leave the store. The round id rides in the cursor,
so a resumed full read keeps it and still sweeps at its end. A cursor whose file and every file
before it are unchanged only reads what follows it (new files): that read never sweeps.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path

from connectors.base import Me, Window, window_note
from connectors.common.files import check_export, export_files, nothing_found
from connectors.common.mail import MAIL_HEADERS, mail_interaction, takeout_labels
from connectors.mbox.cursor import CURSOR, Position
from connectors.mbox.frame import FrameStats, RawMessage, count_lines, frame_mbox, read_single
from connectors.mbox.headers import (
    fallback_id,
    header_text,
    message_id,
    pick_date,
    rescue_sender,
)
from connectors.source import Progress, no_progress
from models.records import Batch, Interaction, Skip, Sweep

SOURCE = "mbox"
MAILBOX_SUFFIXES = frozenset({".mbox", ".mbx", ".eml"})
NO_DATE = "no usable date (Date header missing/garbage and no Received time)"
_WANTED = frozenset(h.lower() for h in MAIL_HEADERS) | {"x-gmail-labels", "x-gm-thrid"}
# compat32 only splits the block into raw name/value pairs (policy.default would build a
# structured Content-Type just to learn the body is multipart); mbox.headers decodes the few
# values we use with policy.default.
_PARSER = BytesHeaderParser(policy=policy.compat32)
# RFC 5322 obs-field allows blanks before the colon ("Subject :"); the stdlib parser does not.
_OBS_FIELD = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]+:", re.MULTILINE)


_EMPTY = hashlib.sha256(b"").hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Listed:
    """One mailbox file as found at the start of a read."""

    rel: str
    path: Path
    sig: str | None  # None: could not be read (`error` says why)
    error: str
    pre: str  # digest of (rel, sig) of this file and every file before it


@dataclass(frozen=True, slots=True)
class Plan:
    """How a read goes: from where, under which round id (None: incremental, no sweep)."""

    start: Position | None
    round: str | None
    sweep: Sweep | None
    carry: bool  # cursors carry the round so a resumed read finishes it


def signature(path: Path) -> str:
    """Size plus sha256 of the first 64 KiB: cheap, and changes when an export is replaced."""
    with path.open("rb") as stream:
        head = stream.read(64 * 1024)
    return f"{path.stat().st_size}:{hashlib.sha256(head).hexdigest()}"


def _size(item: Listed) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return 0


def listing(root: Path) -> list[Listed]:
    """Every mailbox file with its signature and the running digest of the signatures."""
    out: list[Listed] = []
    digest = hashlib.sha256()
    for rel, path in mailbox_files(root):
        sig: str | None = None
        error = ""
        try:
            sig = signature(path)
        except OSError as exc:
            error = str(exc.strerror or exc)
        digest.update(f"{rel}\0{sig or '!' + error}\n".encode("utf-8", "surrogateescape"))
        out.append(Listed(rel, path, sig, error, digest.hexdigest()[:32]))
    return out


def _through(files: list[Listed], rel: str) -> str:
    """The signature digest of every file up to and including `rel` (in sorted order)."""
    pre = _EMPTY
    for item in files:
        if item.rel > rel:
            break
        pre = item.pre
    return pre


def _stamp(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def mailbox_files(root: Path) -> list[tuple[str, Path]]:
    """Every mailbox under `root`; Apple Mail exports `Inbox.mbox/` holding a file `mbox`."""
    return export_files(
        root, lambda path: path.suffix.lower() in MAILBOX_SUFFIXES or path.name == "mbox"
    )


def is_single_message(path: Path) -> bool:
    """`.eml` is one message; an unknown suffix is an mbox only if it starts with `From `."""
    suffix = path.suffix.lower()
    if suffix == ".eml":
        return True
    if suffix in MAILBOX_SUFFIXES or path.name == "mbox":
        return False
    with path.open("rb") as stream:
        return stream.read(5) != b"From "


def collect_headers(message: Message) -> dict[str, list[str]]:
    """Raw values of the headers we use, by lower-case name, in order of appearance."""
    found: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = name.strip().lower()
        if key in _WANTED or key == "received":
            found.setdefault(key, []).append(str(value))
    return found


class MboxConnector:
    """Yields email interactions from mbox/.eml files; `fallback_dates` counts date fallbacks."""

    def __init__(
        self,
        account: str,
        root: Path,
        me: Me,
        *,
        batch_size: int = 500,
        now: Callable[[], datetime] | None = None,
        progress: Callable[[Progress], None] = no_progress,
    ) -> None:
        self.account = account
        self.progress = progress
        self.root = root
        self.me = me
        self.batch_size = max(1, batch_size)
        self._now = now or (lambda: datetime.now(UTC))
        self.fallback_dates = 0
        self.fallback_sources: dict[str, int] = {}
        self._notes: dict[str, int] = {}

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        check_export(
            self.account,
            self.root,
            mailbox_files(self.root) if self.root.exists() else [],
            "mail export (.mbox/.eml)",
        )
        self.fallback_dates = 0
        self.fallback_sources = {}
        self._notes = {}
        files = listing(self.root)
        plan = self._plan(cursor, window, files)
        position = plan.start
        carried = plan.round if plan.carry else None
        batch = Batch(round=plan.round)
        keys: set[str] = set()
        last = position
        messages = 0
        skips: list[Skip] = []
        # A file that could not be read (or is not a mailbox) delivered nothing: sweeping
        # would delete its messages over what may be a passing fault, so such a read keeps all.
        whole_file_failed = not files or any(item.sig is None for item in files)
        sizes = {item.rel: _size(item) for item in files}
        total = sum(sizes.values())
        before = 0  # bytes of the files read (or passed) before this one
        for item in files:
            if position is not None and item.rel < position.file:
                before += sizes[item.rel]
                continue
            resume = position if position is not None and item.rel == position.file else None
            for got in self._read_file(item, resume, window):
                if isinstance(got, Skip):
                    batch.skipped.append(got)
                    if not messages and len(skips) < 1000:
                        skips.append(got)
                    whole_file_failed |= got.where == item.rel  # messages say `file:line`
                    continue
                interaction, where = got
                batch.seen += 1
                messages += 1
                if interaction is not None and interaction.key not in keys:
                    # The same message twice (two exports of one mailbox) is stored once.
                    keys.add(interaction.key)
                    batch.interactions.append(interaction)
                last = Position(where.file, where.offset, where.sig, item.pre, carried)
                if window is None:  # a window re-read's position is never the account's
                    batch.cursor = CURSOR.encode(last)
                if messages % 100 == 0:
                    self.progress(Progress(before + where.offset, total, "bytes"))
                if batch.seen >= self.batch_size:
                    batch.notes = self._take_notes()
                    yield batch
                    batch, keys = Batch(round=plan.round), set()
            before += sizes[item.rel]
        self.progress(Progress(total, total, "bytes"))
        batch.notes = self._take_notes()
        if plan.round is None:
            if batch.seen or batch.skipped:
                yield batch
            return
        # A full read reached the end: what it did not deliver is gone from the export.
        if messages == 0 and position is None and window is None:
            raise nothing_found(self.account, self.root, "mail messages", skips)
        if last is None:
            last = Position("", 0, "", _EMPTY)  # nothing to read: resume from the first file
        if window is None:
            batch.cursor = CURSOR.encode(Position(last.file, last.offset, last.sig, last.pre))
        else:
            note = window_note(
                cursor is not None,
                "a window skips the mail outside it, so its position cannot stand for the "
                "account's",
                "reads the whole export once",
            )
            batch.notes[note] = 1
        batch.sweep = None if whole_file_failed else plan.sweep
        yield batch

    def _take_notes(self) -> dict[str, int]:
        notes, self._notes = self._notes, {}
        return notes

    def _plan(self, cursor: str | None, window: Window | None, files: list[Listed]) -> Plan:
        """Full read (with a round and a sweep), a resumed full read, or an incremental one."""
        prefix = f"{SOURCE}:{self.account}:"
        whole = files[-1].pre if files else _EMPTY
        if window is not None:
            basis = f"{whole}\0{_stamp(window.since)}\0{_stamp(window.until)}"
            round_id = hashlib.sha256(basis.encode()).hexdigest()[:32]
            return Plan(None, round_id, Sweep(prefix, window.since, window.until), carry=False)
        full = Plan(None, whole, Sweep(prefix), carry=True)
        saved = CURSOR.decode(cursor, self.account)
        if saved is None:
            return full
        if saved.round is not None:
            # A full read under way: resume it only if no file changed since it began.
            return Plan(saved, whole, Sweep(prefix), carry=True) if saved.round == whole else full
        if saved.pre is not None:
            unchanged = _through(files, saved.file) == saved.pre
        else:  # a cursor from before rounds: only its own file's signature is known
            unchanged = any(f.rel == saved.file and f.sig == saved.sig for f in files)
        return Plan(saved, None, None, carry=False) if unchanged else full

    def _read_file(
        self, item: Listed, resume: Position | None, window: Window | None
    ) -> Iterator[Skip | tuple[Interaction | None, Position]]:
        """Per message: its interaction (None if skipped or outside the window) and the
        position after it; a skip is yielded just before its message's position."""
        rel, path, sig = item.rel, item.path, item.sig
        if sig is None:
            yield Skip(rel, f"cannot read file: {item.error}")
            return
        try:
            single = is_single_message(path)
            stream = path.open("rb")
        except OSError as exc:
            yield Skip(rel, f"cannot read file: {exc.strerror or exc}")
            return
        stats = FrameStats()
        with stream:
            start = 0
            if resume is not None and resume.sig == sig:
                start = resume.offset
            if start >= int(sig.split(":", 1)[0]):
                return
            try:
                if single:
                    raws: Iterator[RawMessage] = iter([read_single(stream, stats)])
                else:
                    first_line = count_lines(stream, start) if start else 1
                    raws = frame_mbox(stream, start, first_line, stats)
                for raw in raws:
                    result = self._interpret(rel, raw, window)
                    if isinstance(result, Skip):
                        yield result
                        result = None
                    yield result, Position(rel, raw.end, sig)
            except OSError as exc:
                yield Skip(rel, f"read failed part-way: {exc.strerror or exc}")
                return
        if stats.messages == 0 and stats.preamble_bytes and start == 0:
            yield Skip(rel, "no 'From ' separator line and no header block: not a mailbox file")

    def _interpret(
        self, rel: str, raw: RawMessage, window: Window | None
    ) -> Interaction | Skip | None:
        """One framed message → an Interaction, a Skip, or None (outside the window)."""
        where = f"{rel}:{raw.line}"
        try:
            parsed = _PARSER.parsebytes(_OBS_FIELD.sub(rb"\1:", raw.header))
            found = collect_headers(parsed)
        except Exception as exc:  # the parser is lenient; this guards the unforeseen
            return Skip(where, f"unparseable header block: {type(exc).__name__}")
        if not found and not parsed.keys():
            return Skip(where, "no header block (the message does not start with headers)")
        first = {name: values[0] for name, values in found.items()}
        ident = message_id(first.get("message-id"))
        if ident:
            where = f"{rel}:{raw.line} <{ident}>"
        occurred_at, source = pick_date(
            found.get("date", []), found.get("received", []), raw.from_line, self._now()
        )
        if occurred_at is None:
            return Skip(where, NO_DATE)
        if source != "date":
            self.fallback_dates += 1
            self.fallback_sources[str(source)] = self.fallback_sources.get(str(source), 0) + 1
            note = f"date taken from the {source} (Date header missing or garbage)"
            self._notes[note] = self._notes.get(note, 0) + 1
        if window is not None and not window.contains(occurred_at):
            return None
        headers = {
            name: ", ".join(header_text(name, value) for value in values)
            for name, values in found.items()
            if name != "received"
        }
        if "from" in headers:
            headers["from"] = rescue_sender(headers["from"], first["from"])
        stable = ident or fallback_id(
            first.get("from"), first.get("date"), first.get("to"), first.get("subject")
        )
        thread = headers.get("x-gm-thrid") or None
        return mail_interaction(
            key=f"{SOURCE}:{self.account}:{stable}",
            source=SOURCE,
            account=self.account,
            headers=headers,
            occurred_at=occurred_at,
            me=self.me,
            labels=takeout_labels(headers.get("x-gmail-labels")),
            thread_id=thread,
            where=where,
        )
