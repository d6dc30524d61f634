"""Finding and fingerprinting export files: shared by the file-based connectors."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path


def export_files(root: Path, accept: Callable[[Path], bool]) -> list[tuple[str, Path]]:
    """(relative posix path, path) of every accepted file under `root`, sorted; hidden files
    and folders are skipped; a file given directly is itself."""
    if root.is_file():
        return [(root.name, root)]
    found: list[tuple[str, Path]] = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if accept(path):
            found.append((rel.as_posix(), path))
    return sorted(found)


def content_digest(files: list[tuple[str, Path]]) -> str:
    """sha256 over every file's name and bytes, in reading order: the cursor of a snapshot."""
    digest = hashlib.sha256()
    for rel, path in files:
        digest.update(rel.encode("utf-8", errors="surrogateescape") + b"\0")
        try:
            with path.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            digest.update(f"!{exc.errno}".encode())
        digest.update(b"\0")
    return digest.hexdigest()
