"""Dense vectors in Chroma: the only modules that import chromadb are this one and `remote.py`.

Embedded (`PersistentClient` in the store folder), or on a Chroma server (`KOTAE_CHROMA_URL`), where each chunk
record also carries its text and tokens, so the server alone is the whole index (see `remote.py`). Embeddings are
always computed by our own embedder and passed in: Chroma's default embedding function downloads a model, so it
is never used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from kotae.embedders import Vectors
from kotae.errors import StoreError
from kotae.types import Chunk

COLLECTION = "kotae_chunks"
_BATCH = 1000
_T = TypeVar("_T")

logging.getLogger("chromadb").setLevel(logging.ERROR)


def chunk_collection(client: Any) -> Any:
    """The chunk collection of a Chroma client (created on first use): cosine space, no embedding function."""
    return client.get_or_create_collection(COLLECTION, embedding_function=None,
                                           configuration={"hnsw": {"space": "cosine"}})


def embedded_vectors(folder: Path, fresh: bool = False) -> VectorStore:
    """The vectors of an embedded store in `folder`.

    Chroma shares one in-memory system per folder within a process, and that system does not see vectors
    another process writes later; `fresh` drops it so this client reads the folder anew (readers pass it
    when an ingestion has committed).
    """
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    folder.mkdir(parents=True, exist_ok=True)
    if fresh:
        SharedSystemClient._identifier_to_system.pop(str(folder), None)
    client = chromadb.PersistentClient(
        path=str(folder), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )
    return VectorStore(chunk_collection(client), keeps_text=False, where=str(folder))


class VectorStore:
    """One Chroma collection of chunk vectors with the metadata that filters need; with `keeps_text`, also each
    chunk's text, ordinal, text hash and lexical tokens. Every Chroma failure is raised as `StoreError`."""

    def __init__(self, collection: Any, keeps_text: bool, where: str) -> None:
        self._collection = collection
        self.keeps_text = keeps_text
        self.where = where  # the folder or server, for messages

    def _call(self, what: str, action: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return action(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # chromadb and its HTTP client raise many kinds; callers need one
            raise StoreError(f"Chroma at {self.where}: {what} failed: {type(exc).__name__}: {exc}") from exc

    def count(self) -> int:
        """Number of vectors stored (committed or not)."""
        return int(self._call("count", self._collection.count))

    def existing(self, chunk_ids: list[str]) -> set[str]:
        """Which of `chunk_ids` Chroma holds."""
        found: set[str] = set()
        for i in range(0, len(chunk_ids), _BATCH):
            part = chunk_ids[i : i + _BATCH]
            found.update(self._call("get", self._collection.get, ids=part, include=[])["ids"])
        return found

    def embeddings(self, chunk_ids: list[str]) -> dict[str, Vectors]:
        """Stored vectors by id (used to reuse an embedding when the same text is stored again)."""
        out: dict[str, Vectors] = {}
        for i in range(0, len(chunk_ids), _BATCH):
            part = chunk_ids[i : i + _BATCH]
            got = self._call("get", self._collection.get, ids=part, include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                out[chunk_id] = np.asarray(vector, dtype=np.float32)
        return out

    def upsert(self, chunks: list[Chunk], vectors: Vectors, tokens: list[list[str]] | None = None,
               text_hashes: list[str] | None = None) -> None:
        """Write chunks with their vectors and filterable metadata (and, with `keeps_text`, their text, tokens and
        text hashes, which are then required)."""
        if self.keeps_text and (tokens is None or text_hashes is None):
            raise ValueError("a store that keeps text needs the chunks' tokens and text hashes")
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i : i + _BATCH]
            metadatas = [chunk_metadata(c) for c in part]
            record: dict[str, Any] = {"ids": [c.chunk_id for c in part], "embeddings": vectors[i : i + _BATCH],
                                      "metadatas": metadatas}
            if self.keeps_text and tokens is not None and text_hashes is not None:
                record["documents"] = [c.text for c in part]
                for meta, chunk, words, text_hash in zip(metadatas, part, tokens[i : i + _BATCH],
                                                         text_hashes[i : i + _BATCH], strict=True):
                    meta.update(ordinal=chunk.ordinal, text_hash=text_hash, tokens=" ".join(words))
            # Embedded: no `documents=`, the catalogue holds the text, and Chroma's full-text index on it doubled
            # the write time (measured: 2.6 s vs 1.2 s for 3,000 chunks).
            self._call("upsert", self._collection.upsert, **record)

    def all_ids(self) -> list[str]:
        """Every id in the collection, committed or not (for finding what a killed run left behind)."""
        ids: list[str] = []
        while True:
            offset = len(ids)
            page = self._call("get", self._collection.get, include=[], limit=_BATCH * 10, offset=offset)
            ids.extend(page["ids"])
            if len(page["ids"]) < _BATCH * 10:
                return ids

    def records(self, chunk_ids: list[str], with_text: bool) -> dict[str, tuple[dict[str, Any], str | None]]:
        """Metadata (and text) of stored chunks by id; ids not stored are absent."""
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        out: dict[str, tuple[dict[str, Any], str | None]] = {}
        for i in range(0, len(chunk_ids), _BATCH):
            part = chunk_ids[i : i + _BATCH]
            got = self._call("get", self._collection.get, ids=part, include=include)
            texts = got["documents"] if with_text else [None] * len(got["ids"])
            for chunk_id, meta, text in zip(got["ids"], got["metadatas"], texts, strict=True):
                out[chunk_id] = (dict(meta), text)
        return out

    def delete(self, chunk_ids: list[str]) -> None:
        """Delete ids (missing ids are ignored)."""
        for i in range(0, len(chunk_ids), _BATCH):
            part = chunk_ids[i : i + _BATCH]
            self._call("delete", self._collection.delete, ids=part)

    def query(self, vector: Vectors, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The `k` nearest chunk ids with cosine similarity, optionally filtered by metadata. Raises
        `StoreError` when Chroma fails (e.g. while another process writes an embedded folder, or the server is
        down)."""
        got = self._call("vector query", self._collection.query,
                         query_embeddings=vector.reshape(1, -1), n_results=k, where=where or None,
                         include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0], strict=True)]


def chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata for a chunk: only non-null scalars (and the group list), as Chroma requires."""
    meta: dict[str, Any] = {
        "source": chunk.source,
        "doc_type": chunk.doc_type,
        "start": chunk.start,
        "end": chunk.end,
        "access_groups": list(chunk.access_groups),
    }
    optional = {
        "date": chunk.date,
        "date_int": int(chunk.date.replace("-", "")) if chunk.date else None,
        "page": chunk.page,
        "speaker": chunk.speaker,
        "speaker_role": chunk.speaker_role,
        "speaker_title": chunk.speaker_title,
        "turn": chunk.turn,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta
