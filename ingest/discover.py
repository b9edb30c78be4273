"""Discovery: which files under the given paths are documents, and which must be refused and why."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import supported
from ingest.meta import is_meta_file
from kotae.formats import DOCUMENT_SUFFIXES


@dataclass(frozen=True)
class Candidate:
    """A file found under `root`; `source` is its path relative to `root`, with forward slashes."""

    path: Path
    root: Path
    source: str


@dataclass(frozen=True)
class Refused:
    """A file that is not read at all, with the reason."""

    source: str
    reason: str


@dataclass(frozen=True)
class Link:
    """A link to a document inside the folders given: never indexed under its own name (it would carry the
    metadata and access groups of where the link sits, not of the file it shows); its target is indexed as
    itself. `target` is the real path of the file it leads to."""

    source: str
    target: Path


@dataclass(frozen=True)
class Scan:
    """What one root holds: readable candidates, links to documents, refused files (which should be read and
    cannot be) and skipped ones (of a kind Kotae does not read: not a failure)."""

    root: Path
    candidates: list[Candidate]
    refused: list[Refused]
    links: list[Link]
    skipped: list[Refused]


def scan(path: Path, max_bytes: int, given: list[Path] | None = None) -> Scan:
    """Walk `path` (a folder, or a single file whose folder becomes the root), in sorted order.

    Hidden files and metadata files are skipped silently; unknown types, oversized files and links that lead
    outside the folders `given` to the run (default: this root) are refused with a reason; links to files inside
    them are listed in `links`, never as candidates (access control must follow the real file).
    """
    # The root is stored with every document and scopes deletion, so `docs`, `./docs` and `x/../docs` must
    # give the same root. Normalised by spelling only: a linked folder ("current") keeps the name it was given.
    path = Path(os.path.abspath(path))
    if path.is_file():
        root = path.parent
        files = [path]
    elif path.is_dir():
        root = path
        files = sorted(_walk(root))
    else:
        raise FileNotFoundError(f"{path}: no such file or folder")
    allowed = [Path(os.path.realpath(g if g.is_dir() else g.parent)) for g in (given or [root])]
    candidates: list[Candidate] = []
    refused: list[Refused] = []
    links: list[Link] = []
    skipped: list[Refused] = []
    for file in files:
        source = file.relative_to(root).as_posix()
        if file.name.startswith(".") or is_meta_file(file):
            continue
        reason = _refusal(file, allowed, max_bytes)
        if reason is None and not file.is_symlink() and not supported(file):
            skipped.append(Refused(source, f"not a kind of file Kotae reads '{file.suffix or '(none)'}' (it reads "
                                           f"{' '.join(DOCUMENT_SUFFIXES)})"))
        elif reason:
            refused.append(Refused(source, reason))
        elif file.is_symlink():
            links.append(Link(source, Path(os.path.realpath(file))))
        else:
            candidates.append(Candidate(file, root, source))
    return Scan(root, candidates, refused, links, skipped)


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = Path(dirpath)
        found.extend(base / name for name in filenames)
        # A linked folder is not walked into; it is reported like a linked file.
        found.extend(base / d for d in dirnames if (base / d).is_symlink())
    return found


def _refusal(file: Path, allowed: list[Path], max_bytes: int) -> str | None:
    if file.is_symlink():
        target = file.resolve()
        if not any(target.is_relative_to(folder) for folder in allowed):
            return f"link leads outside the folders given (to {target})"
        if target.is_dir():
            return "link to a folder (not followed)"
    if not file.exists():
        return "broken link"
    if not file.is_file():  # a named pipe or device would block the run forever when read
        return "not a regular file"
    size = file.stat().st_size
    if size > max_bytes:
        return f"file too large ({_mb(size)} MB > limit {_mb(max_bytes)} MB, KOTAE_INGEST_MAX_FILE_MB)"
    return None


def _mb(size: int) -> str:
    """Megabytes with enough digits to tell a small file from a small limit (0.0015 vs 0.001, not 0.0 vs 0.0)."""
    return f"{size / 1e6:.3g}" if size < 1e6 else f"{size / 1e6:.1f}"
