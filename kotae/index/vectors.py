"""Dense vectors in Chroma: the only modules that import chromadb are this one, `remote.py` and `probe.py`.

Embedded (`PersistentClient` in the store folder), or on a Chroma server (`KOTAE_CHROMA_URL`), where each chunk
record also carries its text and tokens, so the server alone is the whole index (see `remote.py`). Embeddings are
always computed by our own embedder and passed in: Chroma's default embedding function downloads a model, so it
is never used.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass
class _OpenFolder:
    """One embedded Chroma folder opened by this process: its client, and how many `VectorStore`s use it."""

    client: Any
    collection: Any
    users: int
    failed: bool = False  # a call failed: the files may be damaged, so they are not remembered as whole


_open_folders: dict[str, _OpenFolder] = {}
_open_lock = threading.RLock()


def is_open(folder: Path) -> bool:
    """Whether this process has the embedded Chroma folder open."""
    with _open_lock:
        return os.path.realpath(folder) in _open_folders


def embedded_vectors(folder: Path, on_last_close: Callable[[bool], None] | None = None,
                     on_close: Callable[[], None] | None = None) -> VectorStore:
    """The vectors of an embedded store in `folder`, sharing one Chroma client per folder within the process
    (readers and the one writer alike: embedded Chroma must never be open in two processes, see `owner.py`).

    `on_last_close(clean)` runs once the last `VectorStore` of the folder is closed and Chroma has let go of it;
    `clean` is False when any call on the folder failed. `on_close` runs after every close of this store. Every
    failure to open is a `StoreError` (Chroma raises ValueError, KeyError and its own errors)."""
    key = os.path.realpath(folder)
    with _open_lock:
        opened = _open_folders.get(key)
        if opened is None:
            opened = _OpenFolder(*_open_client(folder), users=0)
            _open_folders[key] = opened
        opened.users += 1

    def close() -> None:
        with _open_lock:
            opened.users -= 1
            last = opened.users == 0
            if last:
                _open_folders.pop(key, None)
                with contextlib.suppress(Exception):  # a client that failed half-way has nothing more to give back
                    opened.client.close()
        if last and on_last_close is not None:
            on_last_close(not opened.failed)
        if on_close is not None:
            on_close()

    def failed() -> None:
        opened.failed = True

    return VectorStore(opened.collection, keeps_text=False, where=str(folder), on_close=close, on_failure=failed)


def _open_client(folder: Path) -> tuple[Any, Any]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        folder.mkdir(parents=True, exist_ok=True)
        client: Any = chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
    except Exception as exc:
        raise StoreError(f"Chroma at {folder}: opening failed: {type(exc).__name__}: {exc}") from exc
    try:
        return client, chunk_collection(client)
    except Exception as exc:
        with contextlib.suppress(Exception):
            client.close()
        raise StoreError(f"Chroma at {folder}: opening the chunks failed: {type(exc).__name__}: {exc}") from exc


def fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of every file in `folder`: equal fingerprints mean Chroma's files
    are as this code left them when it last closed them (so they need no check in a separate process)."""
    entries: list[str] = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        with contextlib.suppress(OSError):
            info = path.stat()
            if path.is_file():
                entries.append(f"{path.relative_to(folder).as_posix()}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode("utf-8")).hexdigest()


class VectorStore:
    """One Chroma collection of chunk vectors with the metadata that filters need; with `keeps_text`, also each
    chunk's text, ordinal, text hash and lexical tokens. Every Chroma failure is raised as `StoreError`."""

    def __init__(self, collection: Any, keeps_text: bool, where: str, on_close: Callable[[], None] | None = None,
                 on_failure: Callable[[], None] | None = None) -> None:
        self._collection = collection
        self.keeps_text = keeps_text
        self.where = where  # the folder or server, for messages
        self._on_close = on_close
        self._on_failure = on_failure
        self._close_lock = threading.Lock()

    def close(self) -> None:
        """Let go of the vectors (an embedded folder is closed when its last user lets go); idempotent."""
        with self._close_lock:
            on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    def _call(self, what: str, action: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        try:
            return action(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # chromadb and its HTTP client raise many kinds; callers need one
            if self._on_failure is not None:
                self._on_failure()
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
        "article": chunk.article,
        "sheet": chunk.sheet,
        "cells": chunk.cells,
        "context": chunk.context,
        "municipality": chunk.municipality,
    }
    meta.update({k: v for k, v in optional.items() if v is not None})
    return meta
