"""Export files on disk: the account settings, finding and fingerprinting the files, and
refusing an export that vanished or is empty. Shared by the file-based sources."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from connectors.errors import FatalError
from models.paths import expand
from models.records import Skip
from models.settings import AccountSettings


class FileAccount(AccountSettings):
    """An account read from an export: `path` is a file or a folder of them."""

    path: str

    def resolved_path(self) -> Path:
        return expand(self.path)


def check_path(account: FileAccount) -> str | None:
    """The export must be there before a sync starts."""
    path = account.resolved_path()
    if not path.exists():
        return f"account {account.name!r}: {path} does not exist; fix `path` or export it again"
    return None


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


def check_export(account: str, root: Path, files: list[tuple[str, Path]], what: str) -> None:
    """Refuse to read (and so to sweep) an export that vanished, cannot be read or is empty.

    A full read deletes what the export no longer has; an export that suddenly holds nothing
    is far more often a failed download, a permissions change or a truncated copy than a
    person who deleted every contact. Such a read is a named failure of the account, and
    everything stored from it stays."""
    kept = "nothing was changed: what keepwarm stored from it stays"
    if not root.exists():
        raise FatalError(
            account,
            f"{root} does not exist ({kept}); fix `path` in this account's config "
            f"(a {what} file or a folder of them)",
        )
    if not files:
        raise FatalError(
            account,
            f"{root} holds no {what} files ({kept}); point `path` at your export, or remove "
            "the account from the config if it is gone for good",
        )
    for rel, path in files:
        shown = path if root.is_file() else f"{root}/{rel}"
        try:
            with path.open("rb") as stream:
                first = stream.read(1)
        except OSError as exc:
            raise FatalError(
                account,
                f"cannot read {shown} ({exc.strerror or exc}; {kept}); fix the file's "
                "permissions or `path`, then sync again",
            ) from exc
        if not first:
            raise FatalError(
                account,
                f"{shown} is empty (0 bytes; {kept}); export it again — if the export "
                "really is empty now, remove the file or the account from the config",
            )


def nothing_found(account: str, root: Path, what: str, skips: Sequence[Skip] = ()) -> FatalError:
    """A full read that found no records at all: do not sweep, say so (and why, if the
    records were there but each was skipped)."""
    why = ""
    if skips:
        reasons = Counter(skip.reason for skip in skips)
        listed = "; ".join(f"{count} × {reason}" for reason, count in reasons.most_common(3))
        why = f" — skipped {listed} (first at {skips[0].where})"
    return FatalError(
        account,
        f"{root} holds no usable {what}{why}. Nothing was changed: what keepwarm stored from "
        "it stays. Export it again — if it really is empty now, remove the account from the "
        "config",
    )
