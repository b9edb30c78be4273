"""Dense vectors in Chroma: the only module that imports chromadb.

Embedded (`PersistentClient`) in the store folder. Embeddings are always computed by our own embedder and
passed in: Chroma's default embedding function downloads a model, so it is never used.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from kotae.embedders import Vectors
from kotae.errors import StoreError
from kotae.types import Chunk

COLLECTION = "kotae_chunks"
_BATCH = 1000

logging.getLogger("chromadb").setLevel(logging.ERROR)


class VectorStore:
    """One Chroma collection of chunk vectors with the metadata that filters need."""

    def __init__(self, folder: Path, embedder_name: str, dim: int, fresh: bool = False) -> None:
        """Open (or create) the collection in `folder`.

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
        self._client: Any = chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        self._collection: Any = self._client.get_or_create_collection(
            COLLECTION,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": embedder_name, "dim": dim},
        )

    def count(self) -> int:
        """Number of vectors stored (committed or not)."""
        return int(self._collection.count())

    def existing(self, chunk_ids: list[str]) -> set[str]:
        """Which of `chunk_ids` Chroma holds."""
        found: set[str] = set()
        for i in range(0, len(chunk_ids), _BATCH):
            found.update(self._collection.get(ids=chunk_ids[i : i + _BATCH], include=[])["ids"])
        return found

    def embeddings(self, chunk_ids: list[str]) -> dict[str, Vectors]:
        """Stored vectors by id (used to reuse an embedding when the same text is stored again)."""
        out: dict[str, Vectors] = {}
        for i in range(0, len(chunk_ids), _BATCH):
            got = self._collection.get(ids=chunk_ids[i : i + _BATCH], include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"], strict=True):
                out[chunk_id] = np.asarray(vector, dtype=np.float32)
        return out

    def upsert(self, chunks: list[Chunk], vectors: Vectors) -> None:
        """Write chunks with their vectors and filterable metadata."""
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i : i + _BATCH]
            self._collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i : i + _BATCH],
                # No `documents=`: the catalogue holds the text, and Chroma's full-text index on it doubled
                # the write time (measured: 2.6 s vs 1.2 s for 3,000 chunks).
                metadatas=[chunk_metadata(c) for c in part],
            )

    def delete(self, chunk_ids: list[str]) -> None:
        """Delete ids (missing ids are ignored)."""
        for i in range(0, len(chunk_ids), _BATCH):
            self._collection.delete(ids=chunk_ids[i : i + _BATCH])

    def query(self, vector: Vectors, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The `k` nearest chunk ids with cosine similarity, optionally filtered by metadata. Raises
        `StoreError` when Chroma fails (e.g. while another process is writing the same folder)."""
        try:
            got = self._collection.query(
                query_embeddings=vector.reshape(1, -1), n_results=k, where=where or None, include=["distances"]
            )
        except Exception as exc:  # chromadb raises its own internal errors; callers need one kind
            raise StoreError(f"vector query failed: {type(exc).__name__}: {exc}") from exc
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
