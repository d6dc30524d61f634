"""vCard exports (one .vcf or a folder of them) as contact cards.

The cursor is the file set's content hash plus how many cards of that content were already
emitted: an unchanged export yields nothing, a changed one is read again from the start
(cards upsert by key, so that is idempotent), and an interrupted read resumes mid-way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connectors.base import Me, Window
from connectors.common.files import check_export, content_digest, export_files, nothing_found
from connectors.vcard.card import CardFacts, card_facts
from connectors.vcard.cursor import CURSOR, Cursor
from connectors.vcard.lines import RawCard, decode_file, split_cards
from models.records import Batch, ContactCard, Skip, Sweep

SOURCE = "vcard"
VCARD_SUFFIXES = frozenset({".vcf", ".vcard"})
_MAX_UID = 200


@dataclass(slots=True)
class Unit:
    """One card in reading order (or a whole file that yielded none), with its skips."""

    card: ContactCard | None = None
    skipped: list[Skip] = field(default_factory=list)


def vcard_files(root: Path) -> list[tuple[str, Path]]:
    return export_files(root, lambda path: path.suffix.lower() in VCARD_SUFFIXES)


def _stable_id(rel: str, facts: CardFacts) -> str:
    """The card's UID, else a hash of where it is and who it names."""
    uid = facts.uid
    if uid is not None:
        if len(uid) <= _MAX_UID and uid.isprintable():
            return uid
        return "uid-sha256:" + hashlib.sha256(uid.encode("utf-8", "surrogatepass")).hexdigest()
    name = (facts.name or "").casefold()
    identities = ",".join(sorted(facts.emails + facts.phones))
    text = f"{rel}\0{name}\0{identities}".encode("utf-8", errors="surrogatepass")
    return "h-" + hashlib.sha256(text).hexdigest()[:24]


class VcardConnector:
    """Yields ContactCards from .vcf files; one bad card is a `file:line` Skip."""

    def __init__(self, account: str, root: Path, me: Me, *, batch_size: int = 500) -> None:
        self.account = account
        self.root = root
        self.me = me
        self.batch_size = max(1, batch_size)

    def batches(self, cursor: str | None, window: Window | None = None) -> Iterator[Batch]:
        """`window` is ignored for cards: a backfill re-reads every card."""
        files = vcard_files(self.root) if self.root.exists() else []
        check_export(self.account, self.root, files, "vCard (.vcf)")
        digest = content_digest(files)
        saved = None if window is not None else CURSOR.decode(cursor, self.account)
        start = saved.done if saved is not None and saved.digest == digest else 0
        resuming = saved is not None and saved.digest == digest
        round_id = digest[:64]
        batch = Batch(round=round_id)
        position = 0
        yielded = False
        cards = 0
        skips: list[Skip] = []
        for unit in self._units(files):
            position += 1
            cards += unit.card is not None
            if not cards:
                skips.extend(unit.skipped)
            if position <= start:
                continue
            batch.seen += 1
            if unit.card is not None:
                batch.cards.append(unit.card)
            batch.skipped.extend(unit.skipped)
            if batch.seen >= self.batch_size:
                batch.cursor = CURSOR.encode(Cursor(digest, position))
                yield batch
                batch, yielded = Batch(round=round_id), True
        if cards == 0 and start == 0:
            raise nothing_found(self.account, self.root, "contact cards", skips)
        if batch.seen or yielded or not resuming:
            # The export was read to the end: cards it no longer has were deleted.
            batch.cursor = CURSOR.encode(Cursor(digest, position))
            batch.sweep = Sweep(f"{SOURCE}:{self.account}:")
            yield batch

    def _units(self, files: list[tuple[str, Path]]) -> Iterator[Unit]:
        taken: set[str] = set()
        for rel, path in files:
            try:
                data = path.read_bytes()
            except OSError as exc:
                yield Unit(skipped=[Skip(rel, f"unreadable file: {exc.strerror or exc}")])
                continue
            decoded = decode_file(data)
            cards = split_cards(decoded.text)
            if not cards:
                reason = "empty file" if not decoded.text.strip() else "no BEGIN:VCARD found"
                yield Unit(skipped=[Skip(rel, f"{reason}; not a vCard export")])
                continue
            for raw in cards:
                yield self._unit(rel, raw, decoded.clean, taken)

    def _unit(self, rel: str, raw: RawCard, clean: bool, taken: set[str]) -> Unit:
        where = f"{rel}:{raw.line}"
        if not raw.closed:
            return Unit(skipped=[Skip(where, "BEGIN:VCARD without END:VCARD; card ignored")])
        facts = card_facts(raw, clean, self.me)
        unit = Unit(skipped=[Skip(f"{rel}:{line}", reason) for line, reason in facts.problems])
        reason = None
        if facts.is_group:
            reason = "contact group card (KIND:group), not a person"
        elif facts.mine and not (facts.emails or facts.phones):
            reason = "your own card (only your addresses/numbers)"
        elif not (facts.name or facts.emails or facts.phones):
            reason = "card has no name, email or phone"
        if reason is not None:
            unit.skipped.append(Skip(where, reason))
            return unit
        stable = base = _stable_id(rel, facts)
        copy = 1
        while stable in taken:
            copy += 1
            stable = f"{base}#{copy}"  # same UID twice: later copies numbered in file order
        taken.add(stable)
        unit.card = ContactCard(
            key=f"{SOURCE}:{self.account}:{stable}",
            source=SOURCE,
            account=self.account,
            name=facts.name[:300] if facts.name else None,
            emails=tuple(facts.emails),
            phones=tuple(facts.phones),
            categories=tuple(facts.categories),
            birthday=facts.birthday,
            is_org=facts.is_org,
            origin=where[:500],
        )
        return unit
