"""Benchmark: vCard connector throughput on a generated export of mixed 2.1/3.0/4.0 cards.

    .venv/bin/python bench/vcard_parse.py            # 20,000 cards
    .venv/bin/python bench/vcard_parse.py -n 5000    # another count
Writes one temporary .vcf (deleted afterwards) and prints cards/s for a full read.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import Me
from connectors.vcard.connector import VcardConnector

_PHOTO = "/9j/4AAQSkZJRgABAQEASABIAAD" * 12


def _qp(text: str) -> str:
    return "".join(f"={b:02X}" for b in text.encode("utf-8"))


def card(rng: random.Random, n: int) -> str:
    """One card; the style rotates through Android 2.1 QP, Apple 3.0 and RFC 6350 4.0."""
    given, family = f"Given{n}", rng.choice(["Müller", "Doe", "Łukasz", "Smith", "O'Neil"])
    phone = f"+1 415 555 {n % 10000:04d}"
    style = n % 3
    if style == 0:
        name = _qp(f"{given} {family}")
        half = len(name) // 2 // 3 * 3
        return (
            "BEGIN:VCARD\r\nVERSION:2.1\r\n"
            f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(family)};{_qp(given)};;;\r\n"
            f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{name[:half]}=\r\n{name[half:]}\r\n"
            f"TEL;CELL;PREF:{phone}\r\nEMAIL;HOME:{given.lower()}@example.org\r\n"
            "CATEGORIES:My Contacts\r\nEND:VCARD\r\n"
        )
    if style == 1:
        return (
            "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17//EN\r\n"
            f"N:{family};{given};;;\r\nFN:{family}\\, {given}\r\nORG:Firm {n % 97};\r\n"
            f"item1.EMAIL;type=INTERNET;type=pref:{given}.{family}@example.com\r\n"
            "item1.X-ABLabel:_$!<Other>!$_\r\n"
            f"TEL;type=CELL;type=VOICE;type=pref:{phone}\r\n"
            f"BDAY;value=date:19{n % 90 + 10}-0{n % 9 + 1}-1{n % 9}\r\n"
            f"PHOTO;ENCODING=b;TYPE=JPEG:{_PHOTO[:75]}\r\n {_PHOTO[75:150]}\r\n"
            f"UID:{n:08d}-apple\r\nEND:VCARD\r\n"
        )
    return (
        "BEGIN:VCARD\r\nVERSION:4.0\r\n"
        f"FN:{given} {family}\r\nN:{family};{given};;;\r\n"
        f"EMAIL;TYPE=work:{given}@firm{n % 50}.example\r\n"
        f"TEL;VALUE=uri;TYPE=cell:tel:{phone.replace(' ', '-')}\r\n"
        f"CATEGORIES:friends,close\r\nBDAY:--{n % 12 + 1:02d}15\r\n"
        f"UID:urn:uuid:{n:032x}\r\nEND:VCARD\r\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--cards", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.vcf"
        path.write_text("".join(card(rng, n) for n in range(args.cards)), encoding="utf-8")
        size = path.stat().st_size
        connector = VcardConnector("bench", path, Me(emails=frozenset({"me@example.com"})))
        started = time.perf_counter()
        cards = skipped = 0
        for batch in connector.batches(None):
            cards += len(batch.cards)
            skipped += len(batch.skipped)
        elapsed = time.perf_counter() - started
    print(
        f"{args.cards} cards ({size / 1e6:.1f} MB): {cards} loaded, {skipped} skipped, "
        f"{elapsed:.2f}s, {args.cards / elapsed:,.0f} cards/s"
    )


if __name__ == "__main__":
    main()
