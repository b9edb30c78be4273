"""What tests of the store's safety compare: the committed state of a store (catalogue, Chroma, BM25) and the
hits it gives, so a repaired or interrupted store can be held against one a clean run built."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kotae.index import lexical
from kotae.index.catalog import Catalog
from kotae.index.store import StorePaths, open_vectors
from kotae.settings import load_settings
from service.reader.search import Searcher

REPO = Path(__file__).resolve().parents[1]
QUERIES = ("書かない窓口の実績", "生成ＡＩの試行と個人情報", "資料第7号", "窓口の待ち時間")


@dataclass(frozen=True)
class State:
    """What a store holds: each document's version and chunk ids with their text and span."""

    documents: dict[str, str]
    chunks: dict[str, tuple[str, int, int, str]]


def state(store: Path) -> State:
    """The committed state of `store`, after checking that Chroma and BM25 hold exactly the committed chunks."""
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        documents = {s: r.version for s, r in catalog.documents().items()}
        ids = catalog.committed_ids()
        chunks = {c.chunk_id: (c.source, c.start, c.end, c.text) for c in catalog.chunks(ids).values()}
        assert catalog.pending() == [], "ids left pending"
        vectors = open_vectors(StorePaths(store), catalog)
        try:
            assert vectors.existing(ids) == set(ids), "committed chunks missing from Chroma"
            assert vectors.count() == len(ids), "Chroma holds chunks the catalogue does not list"
        finally:
            vectors.close()
        index = lexical.load(StorePaths(store).lexical, catalog.generation())
        assert index is not None and sorted(index.chunk_ids) == sorted(ids), "BM25 is not current"
    return State(documents, chunks)


def hits(store: Path, queries: tuple[str, ...] = QUERIES) -> list[list[str]]:
    """The chunk ids of the ten best hits for each query (the store is held only meanwhile)."""
    searcher = Searcher(load_settings(store))
    try:
        return [[h.chunk.chunk_id for h in searcher.search(q, k=10)] for q in queries]
    finally:
        searcher.close()


def dense_works(store: Path) -> bool:
    """Whether searches of `store` use its vectors (a damaged store answers from BM25 alone)."""
    searcher = Searcher(load_settings(store))
    try:
        return searcher._snapshot.vectors is not None and all(
            "dense" in h.scores for h in searcher.search(QUERIES[0], k=3))
    finally:
        searcher.close()


def kotae(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real `kotae` command in a process of its own, without the caller's KOTAE_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")} | env
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, env=clean, capture_output=True,
                          text=True, timeout=600)


def clean_env(**env: str) -> dict[str, Any]:
    """The environment for a `kotae` process: the caller's, without KOTAE_* settings, plus `env`."""
    return {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")} | env


def unpack_previous(archive: Path, into: Path, schema: int) -> None:
    """A store fixture written by an earlier release (`archive`: docs/ and store/) unpacked into `into`, its
    catalogue checked to be at `schema` and its documents' folder pointed at where they now are."""
    with tarfile.open(archive) as packed:
        packed.extractall(into, filter="data")
    with closing(sqlite3.connect(into / "store" / "catalog.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema  # what that release wrote
        db.execute("UPDATE documents SET root = ?", (str(into / "docs"),))
        db.commit()


def text_hashes(store: Path) -> dict[str, str]:
    """text_hash -> source of every stored chunk (what is embedded once per distinct text)."""
    with closing(sqlite3.connect(StorePaths(store).catalog)) as db:
        return dict(db.execute("SELECT text_hash, source FROM chunks"))
