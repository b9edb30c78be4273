"""Is an embedded Chroma folder whole? Asked in a child process, because a damaged folder can crash the process
that opens it (a truncated `header.bin` or garbage in `data_level0.bin` made Chroma's native code segfault;
a truncated `index_metadata.pickle` or `chroma.sqlite3` raised errors; a truncated `link_lists.bin` raised
nothing at all and only lost neighbours). A crash of the child is an answer, not an outage.

The child opens the folder, counts its records, and checks a sample of the catalogue's committed chunks: their
vectors are there and equal to the catalogue's, and a query with a chunk's own vector finds it at distance 0
(the index's links are sound; a chunk of the same text counts). It prints one JSON object: {"ok", "count",
"reason"}. Run by `kotae.index.store` through `probe()`, as `python -m kotae.index.probe FOLDER CATALOG`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE = 48  # committed chunks whose vectors are compared
SELF_QUERIES = 12  # of them, queried with their own vector
TIMEOUT_S = 300.0


@dataclass(frozen=True)
class ProbeResult:
    """What the child found: whole or not (with why), and how many records the folder holds."""

    ok: bool
    count: int
    reason: str


def probe(folder: Path, catalog: Path) -> ProbeResult:
    """Check `folder` in a child process; a child that crashes or hangs means the folder is damaged."""
    command = [sys.executable, "-m", "kotae.index.probe", str(folder), str(catalog)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return ProbeResult(False, 0, f"checking Chroma's files took over {TIMEOUT_S:.0f} s")
    if done.returncode < 0:
        return ProbeResult(False, 0, f"opening Chroma's files crashed the checking process (signal {-done.returncode})")
    try:
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return ProbeResult(bool(data["ok"]), int(data["count"]), str(data["reason"]))
    except (ValueError, IndexError, KeyError, TypeError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return ProbeResult(False, 0, f"the check of Chroma's files failed: {tail[:300]}")


def _sample(catalog: Path) -> list[tuple[str, Any]]:
    """Evenly spaced committed chunks, with the catalogue's vector when it has one (else None)."""
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        has_vectors = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vectors'").fetchone() is not None
        total = int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        step = max(1, total // SAMPLE)
        ids = [r[0] for r in db.execute("SELECT chunk_id FROM chunks ORDER BY rowid")][::step][:SAMPLE]
        vectors: dict[str, Any] = {}
        if has_vectors and ids:
            marks = ",".join("?" * len(ids))
            for chunk_id, blob in db.execute(f"SELECT chunk_id, vector FROM vectors WHERE chunk_id IN ({marks})", ids):
                vectors[chunk_id] = np.frombuffer(blob, dtype="<f4")
        return [(c, vectors.get(c)) for c in ids]
    finally:
        db.close()


def _check(folder: Path, catalog: Path) -> tuple[bool, int, str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from kotae.index.vectors import chunk_collection

    client = chromadb.PersistentClient(path=str(folder), settings=ChromaSettings(anonymized_telemetry=False))
    collection = chunk_collection(client)
    count = int(collection.count())
    sample = _sample(catalog)
    if not sample:
        return True, count, "no committed chunks"
    got = collection.get(ids=[c for c, _ in sample], include=["embeddings"])
    stored = {c: np.asarray(v, dtype=np.float32) for c, v in zip(got["ids"], got["embeddings"], strict=True)}
    missing = [c for c, _ in sample if c not in stored]
    if missing:
        return False, count, f"{len(missing)} of {len(sample)} sampled chunks have no vector in Chroma"
    for chunk_id, expected in sample:
        if expected is not None and not np.allclose(stored[chunk_id], expected, atol=1e-5):  # Chroma normalises
            return False, count, f"chunk {chunk_id}: Chroma's vector differs from the catalogue's"
    lost = 0
    for chunk_id, _ in sample[:SELF_QUERIES]:
        # Its own vector must come back at distance 0 (as this chunk or as another chunk of the same text).
        found = collection.query(query_embeddings=stored[chunk_id].reshape(1, -1), n_results=min(10, count),
                                 include=["distances"])
        lost += not any(d < 1e-4 for d in found["distances"][0])
    if lost > 1:  # the graph is approximate: one miss in twelve is tolerated, more means lost links
        return False, count, f"{lost} of {SELF_QUERIES} chunks were not found by their own vector"
    return True, count, "whole"


def main(argv: list[str]) -> int:
    """`python -m kotae.index.probe FOLDER CATALOG`: print the verdict as JSON."""
    folder, catalog = Path(argv[0]), Path(argv[1])
    try:
        ok, count, reason = _check(folder, catalog)
    except Exception as exc:  # whatever Chroma raises on damaged files is the answer
        ok, count, reason = False, 0, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    print(json.dumps({"ok": ok, "count": count, "reason": reason}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
