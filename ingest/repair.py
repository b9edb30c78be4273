"""Mending an embedded store from its catalogue, the source of truth (`kotae/index/catalog.py`).

- `rebuild_vectors`: Chroma's folder is damaged (a full disk, a killed write, a bad copy): a new folder is built
  beside it from the catalogue's vectors, then made current in one catalogue commit. Nothing is embedded except
  chunks whose vector the catalogue lacks (a store migrated from before it kept them, whose Chroma was lost).
- `backfill_vectors`: a store migrated from before the catalogue kept vectors gets them from Chroma.
- `mend_vectors`: a whole folder that lacks some committed chunks (a write lost before its commit was
  recorded as done) gets them from the catalogue.

The caller holds the store (`kotae.index.owner`) and its ingestion lock, as every writer does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kotae.embedders import Vectors
from kotae.index.catalog import Catalog
from kotae.index.space import require_free
from kotae.index.store import StorePaths, open_new_vectors, remove_unused_vectors, switch_vectors
from kotae.index.vectors import VectorStore
from kotae.types import Chunk

BATCH = 1000
BYTES_PER_CHUNK = 10_000  # Chroma's records and index for one chunk, with room to spare (measured: ~6 KB)
log = logging.getLogger(__name__)
Embed = Callable[[list[str]], Vectors]


@dataclass
class Rebuilt:
    """What a rebuild did: the new folder, how many chunks it holds, and how many had to be embedded again."""

    folder: str
    chunks: int
    embedded: int
    seconds: float


def rebuild_vectors(paths: StorePaths, catalog: Catalog, embed: Embed, reserve: int) -> Rebuilt:
    """Build a new Chroma folder from the catalogue and make it the store's; returns what was done."""
    started = time.monotonic()
    committed = catalog.committed_ids()
    require_free(paths.root, len(committed) * BYTES_PER_CHUNK, reserve, "rebuilding the store's vectors")
    target, folder = open_new_vectors(paths)
    embedded = 0
    try:
        for i in range(0, len(committed), BATCH):
            embedded += _copy(catalog, target, committed[i : i + BATCH], embed)
    finally:
        target.close()
    switch_vectors(catalog, folder)
    catalog.clear_pending(catalog.pending())  # ids written to the old folder only: the new one never had them
    remove_unused_vectors(paths, catalog)  # the damaged folder, unless this process still reads it
    seconds = round(time.monotonic() - started, 3)
    log.info("rebuilt the vectors of %s in %s: %d chunks, %d embedded again, %.1f s", paths.root, folder.name,
             len(committed), embedded, seconds)
    return Rebuilt(folder.name, len(committed), embedded, seconds)


def backfill_vectors(catalog: Catalog, vectors: VectorStore, embed: Embed) -> int:
    """Give the catalogue the vectors it lacks, from Chroma (or embedded again when Chroma lacks them too, which
    also puts them back in Chroma). Returns how many were embedded."""
    missing = catalog.chunk_ids_without_vectors()
    embedded = 0
    for i in range(0, len(missing), BATCH):
        ids = missing[i : i + BATCH]
        found = vectors.embeddings(ids)
        catalog.set_vectors(found)
        lost = [c for c in ids if c not in found]
        if lost:
            embedded += _copy(catalog, vectors, lost, embed)
    catalog.set_meta("vectors_backfill", "done")
    return embedded


def mend_vectors(catalog: Catalog, vectors: VectorStore, embed: Embed) -> int:
    """Write to Chroma the committed chunks it lacks; returns how many were written."""
    committed = catalog.committed_ids()
    written = 0
    for i in range(0, len(committed), BATCH):
        ids = committed[i : i + BATCH]
        present = vectors.existing(ids)
        lost = [c for c in ids if c not in present]
        if lost:
            _copy(catalog, vectors, lost, embed)
            written += len(lost)
    return written


def _copy(catalog: Catalog, target: VectorStore, ids: list[str], embed: Embed) -> int:
    """Write the committed chunks `ids` with their catalogue vectors (embedding and keeping the ones the catalogue
    lacks) into `target`; returns how many were embedded."""
    chunks = catalog.chunks(ids)
    ordered: list[Chunk] = [chunks[c] for c in ids if c in chunks]
    stored = catalog.vectors([c.chunk_id for c in ordered])
    lacking = [c for c in ordered if c.chunk_id not in stored]
    if lacking:
        fresh = embed([c.text for c in lacking])
        made = {c.chunk_id: fresh[i] for i, c in enumerate(lacking)}
        catalog.set_vectors(made)
        stored.update(made)
    if ordered:
        target.upsert(ordered, np.stack([stored[c.chunk_id] for c in ordered]))
    return len(lacking)
