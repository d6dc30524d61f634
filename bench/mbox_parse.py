"""Benchmark: mbox connector throughput and peak memory at two mailbox sizes.

Generates Takeout-like mboxes (headers, text bodies, some base64 attachments) in a temporary
directory, reads each in a fresh subprocess and prints messages/s and peak RSS. Peak RSS that
stays the same from the small to the large file shows memory does not grow with the mbox.

    .venv/bin/python bench/mbox_parse.py                 # 50 MB and 200 MB
    .venv/bin/python bench/mbox_parse.py --sizes 20 100  # other sizes (MB)
Nothing generated is kept.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _message(rng: random.Random, n: int, when: datetime) -> bytes:
    """One Takeout-style entry; ~1 in 8 carries a base64 attachment of up to 200 KiB."""
    stamp = when.strftime("%a %b %d %H:%M:%S +0000 %Y")
    sent = rng.random() < 0.3
    friend = f"friend{rng.randrange(2000)}@example.org"
    sender, to = ("me@example.com", friend) if sent else (friend, "me@example.com")
    cc = ", ".join(f"Cc {k} <cc{rng.randrange(500)}@example.net>" for k in range(rng.randrange(4)))
    labels = "Sent" if sent else rng.choice(["Inbox,Important", "Category Promotions,Inbox"])
    headers = [
        f"From {1600000000000000000 + n}@xxx {stamp}",
        f"X-GM-THRID: {1600000000000000000 + n // 3}",
        f"X-Gmail-Labels: {labels}",
        "Received: from mx.example.org by mx.google.com with ESMTPS id x;\r\n"
        f"        {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <bench{n}@example.org>",
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"From: =?utf-8?q?Fr=C3=A9d=C3=A9ric_{n % 97}?= <{sender}>",
        f"To: {to}",
        *([f"Cc: {cc}"] if cc else []),
        f"Subject: Message number {n}",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
    ]
    lines = [rng.choice(["Hello there.", "From time to time we talk.", ">From the archive"])]
    lines += ["Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 2] * rng.randrange(
        5, 60
    )
    body = "\r\n".join(["--b", "Content-Type: text/plain", "", *lines])
    if rng.random() < 0.125:
        blob = base64.encodebytes(rng.randbytes(rng.randrange(10_000, 200_000))).decode()
        body += "\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n" + blob
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n--b--\r\n\r\n").encode()


def generate(path: Path, megabytes: float, seed: int = 7) -> int:
    """Write an mbox of about `megabytes` MB; returns the number of messages."""
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    when = datetime(2015, 1, 1, tzinfo=UTC)
    written = count = 0
    with path.open("wb") as out:
        while written < target:
            data = _message(rng, count, when)
            out.write(data)
            written += len(data)
            count += 1
            when += timedelta(minutes=rng.randrange(1, 120))
    return count


def measure(path: Path) -> dict[str, float]:
    """Read the whole mbox once (in this process) and report time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from connectors.base import Me
    from connectors.mbox.connector import MboxConnector

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn = MboxConnector("bench", path, Me(frozenset({"me@example.com"})), batch_size=500)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    messages = records = 0
    for batch in conn.batches(None):
        messages += batch.seen
        records += len(batch.interactions)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    peak = usage.ru_maxrss  # KiB on Linux
    return {
        "mb": path.stat().st_size / 1024 / 1024,
        "messages": messages,
        "records": records,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "msgs_per_s": messages / elapsed if elapsed else 0.0,
        "msgs_per_cpu_s": messages / cpu if cpu else 0.0,
        "mb_per_s": path.stat().st_size / 1024 / 1024 / elapsed if elapsed else 0.0,
        "rss_before_mib": baseline / 1024,
        "peak_rss_mib": peak / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[50.0, 200.0])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="keepwarm-mbox-bench-") as tmp:
        print(
            f"{'size MB':>8} {'msgs':>7} {'wall s':>7} {'cpu s':>6} {'msg/s':>6} {'msg/cpu-s':>9}"
            f" {'MB/s':>5} {'peak RSS MiB':>12}"
        )
        for size in args.sizes:
            path = Path(tmp) / f"bench-{size:g}.mbox"
            generate(path, size)
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout)
            print(
                f"{r['mb']:8.1f} {r['messages']:7.0f} {r['seconds']:7.2f} {r['cpu_seconds']:6.2f}"
                f" {r['msgs_per_s']:6.0f} {r['msgs_per_cpu_s']:9.0f} {r['mb_per_s']:5.1f}"
                f" {r['peak_rss_mib']:12.1f}"
                f"  (after imports {r['rss_before_mib']:.1f})"
            )
            path.unlink()


if __name__ == "__main__":
    main()
