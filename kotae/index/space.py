"""Free space on the disk that holds a store: checked before a run writes anything, and named when a write
fails because the disk is full (Chroma, SQLite and the file system each say so in their own words, or not at
all), so the admin reads one plain reason instead of a library's error."""

from __future__ import annotations

import shutil
from pathlib import Path

from kotae.errors import StoreError

FULL_BELOW = 1 << 20  # under 1 MB free, a failed write is taken for a full disk
# What a run writes per byte of a document, measured on the shared data (catalogue text, tokens and vectors,
# Chroma's records and index, the BM25 index): plain text grows about tenfold, PDFs and Word files (whose
# bytes are mostly not text) far less.
TEXT_GROWTH = 12
BINARY_GROWTH = 3
TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".csv")


def free_bytes(path: Path) -> int:
    """Bytes free for this user on the disk holding `path` (its nearest existing folder)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return shutil.disk_usage(existing).free


def size_text(n: float) -> str:
    """「3.2 MB」"""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def estimate_growth(files: list[Path]) -> int:
    """Roughly how much a run that (re)indexes `files` writes into the store."""
    total = 0
    for file in files:
        try:
            size = file.stat().st_size
        except OSError:
            continue
        total += size * (TEXT_GROWTH if file.suffix.lower() in TEXT_SUFFIXES else BINARY_GROWTH)
    return total


def require_free(store: Path, needed: int, reserve: int, what: str) -> None:
    """Refuse to start `what` when the store's disk lacks `needed` bytes beyond `reserve`."""
    free = free_bytes(store)
    if free < needed + reserve:
        raise StoreError(
            f"not enough free space for {what}: {size_text(free)} free on the disk holding {store}, about "
            f"{size_text(needed + reserve)} needed (KOTAE_STORE_MIN_FREE_MB keeps {size_text(reserve)} spare); "
            "free some space and run again"
        )


def disk_full(store: Path) -> str | None:
    """「the disk holding STORE is full (312 KB free)」 when it is, else None."""
    try:
        free = free_bytes(store)
    except OSError:
        return None
    return f"the disk holding {store} is full ({size_text(free)} free)" if free < FULL_BELOW else None
