"""Search: dense (Chroma) and lexical (BM25) candidates fused by reciprocal rank, committed chunks only.

A first plain version; filters narrow both candidate lists before fusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kotae.embedders import Embedder, embedder_key, load_embedder
from kotae.index import lexical
from kotae.index.catalog import Catalog
from kotae.index.store import StorePaths, check_embedder, open_catalog
from kotae.index.vectors import VectorStore
from kotae.jtext import SudachiTokenizer
from kotae.settings import Settings
from kotae.types import Chunk, Hit

RRF_K = 60
CANDIDATES = 100


@dataclass(frozen=True)
class Filters:
    """Restrictions on hits; empty lists mean "any"."""

    doc_type: list[str] = field(default_factory=list)
    speaker_role: list[str] = field(default_factory=list)
    speaker: list[str] = field(default_factory=list)
    source_prefix: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def accepts(self, chunk: Chunk) -> bool:
        """True when `chunk` passes every filter."""
        if self.doc_type and chunk.doc_type not in self.doc_type:
            return False
        if self.speaker_role and chunk.speaker_role not in self.speaker_role:
            return False
        if self.speaker and not any(s in (chunk.speaker or "") + (chunk.speaker_title or "") for s in self.speaker):
            return False
        if self.source_prefix and not chunk.source.startswith(self.source_prefix):
            return False
        if self.date_from and (chunk.date is None or chunk.date < self.date_from):
            return False
        return not (self.date_to and (chunk.date is None or chunk.date > self.date_to))

    def chroma_where(self) -> dict[str, Any] | None:
        """The part of the filters Chroma can apply itself."""
        clauses: list[dict[str, Any]] = []
        if self.doc_type:
            clauses.append({"doc_type": {"$in": self.doc_type}})
        if self.speaker_role:
            clauses.append({"speaker_role": {"$in": self.speaker_role}})
        if self.date_from:
            clauses.append({"date_int": {"$gte": int(self.date_from.replace("-", ""))}})
        if self.date_to:
            clauses.append({"date_int": {"$lte": int(self.date_to.replace("-", ""))}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Searcher:
    """Holds the models and indexes of one store, loaded once per process."""

    def __init__(self, settings: Settings) -> None:
        self.paths = StorePaths(settings.store.dir)
        self.catalog: Catalog = open_catalog(self.paths, create=False)
        check_embedder(self.catalog, embedder_key(settings.embedder.name, settings.embedder.model_path), self.paths)
        self.embedder: Embedder = load_embedder(
            settings.embedder.name, settings.embedder.model_path, settings.embedder.threads
        )
        self.vectors = VectorStore(self.paths.chroma, self.embedder.name, self.embedder.dim)
        self.tokenizer = SudachiTokenizer(settings.lexical.sudachi_mode)
        self._lexical = self._load_lexical()

    def _load_lexical(self) -> lexical.LexicalIndex:
        generation = self.catalog.generation()
        return lexical.load(self.paths.lexical, generation) or lexical.build(self.catalog)

    def lexical_index(self) -> lexical.LexicalIndex:
        """The BM25 index of the current catalogue generation (reloaded after an ingestion)."""
        if self._lexical.generation != self.catalog.generation():
            self._lexical = self._load_lexical()
        return self._lexical

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The `k` best committed chunks for `query`, best first."""
        filters = filters or Filters()
        dense = self.vectors.query(self.embedder.embed_queries([query])[0], CANDIDATES, filters.chroma_where())
        index = self.lexical_index()
        scores = index.scores(self.tokenizer.tokenize(query))
        top = np.argsort(-scores)[: CANDIDATES * 3]
        lex = [(index.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]
        chunks = self.catalog.chunks(list({cid for cid, _ in dense} | {cid for cid, _ in lex}))
        fused: dict[str, dict[str, float]] = {}
        for name, ranked in (("dense", dense), ("lexical", lex)):
            rank = 0
            for cid, score in ranked:
                chunk = chunks.get(cid)
                if chunk is None or not filters.accepts(chunk):
                    continue
                rank += 1
                entry = fused.setdefault(cid, {"rrf": 0.0})
                entry["rrf"] += 1.0 / (RRF_K + rank)
                entry[name] = score
        best = sorted(fused.items(), key=lambda kv: -kv[1]["rrf"])[:k]
        return [
            Hit(chunk=chunks[cid], rank=i + 1, score=s.pop("rrf"), scores=s) for i, (cid, s) in enumerate(best)
        ]
