"""Big generated mboxes for tests and the closing measurement (data, not behaviour)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path


def write_mbox(path: Path, messages: int, *, seed: int = 7, body_bytes: int = 400) -> Path:
    """`messages` Takeout-like entries, a third sent by me, written in one pass."""
    rng = random.Random(seed)
    start = datetime(2016, 1, 1, tzinfo=UTC)
    step = timedelta(days=3650) / max(messages, 1)
    body = ("lorem ipsum dolor sit amet " * (body_bytes // 27 + 1))[:body_bytes]
    with path.open("w", encoding="utf-8") as out:
        for n in range(messages):
            when = start + step * n
            friend = f"friend{rng.randrange(3000)}@example.org"
            sent = n % 3 == 0
            sender, to = ("me@example.com", friend) if sent else (friend, "me@example.com")
            out.write(
                f"From {1600000000000000000 + n}@xxx {when:%a %b %d %H:%M:%S +0000 %Y}\n"
                f"X-Gmail-Labels: {'Sent' if sent else 'Inbox'}\n"
                f"Message-ID: <m{n}@example.org>\n"
                f"Date: {when:%a, %d %b %Y %H:%M:%S +0000}\n"
                f"From: {sender}\nTo: {to}\nSubject: note {n}\n\n{body}\n\n"
            )
    return path
