"""The store: where the catalogue, the vectors and the lexical index live.

Embedded (the default), all in one folder:

    store/
      catalog.sqlite   which documents and chunks are committed (the commit point)
      chroma/          dense vectors and filter metadata (embedded Chroma)
      lexical/gen-N/   BM25 over the committed chunks of catalogue generation N
      ingest.lock      held by the one ingestion run allowed at a time
      folders.json     the folders ingested into this store (re-run together from the admin page)
      excluded.json    sources an admin removed: later runs skip them
      uploads/         files uploaded through the admin page (a folder like any other)

On a Chroma server (`KOTAE_CHROMA_URL`), the catalogue and the vectors live on the server (`remote.py`) and each
process builds the lexical index in memory; the folder keeps only what is local to the machine (the lock,
folders.json, excluded.json, uploads/, users and audit).
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO

from kotae.errors import StoreError
from kotae.index.catalog import Catalog, CatalogStore
from kotae.index.remote import RemoteCatalog, server_vectors
from kotae.index.vectors import VectorStore, embedded_vectors


class StorePaths:
    """Where each part of a store lives."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog = root / "catalog.sqlite"
        self.chroma = root / "chroma"
        self.lexical = root / "lexical"
        self.lock = root / "ingest.lock"
        self.folders = root / "folders.json"
        self.excluded = root / "excluded.json"
        self.uploads = root / "uploads"


def open_catalog(paths: StorePaths, create: bool, chroma_url: str | None = None) -> CatalogStore:
    """Open the catalogue (on the Chroma server when `chroma_url` is set); without `create`, a missing index is
    an error that says how to make one."""
    if chroma_url:
        remote = RemoteCatalog(chroma_url)
        if not create and not remote.exists():
            raise StoreError(f"no index on the Chroma server at {chroma_url}: run `kotae ingest PATH` with "
                             f"KOTAE_CHROMA_URL={chroma_url} first")
        return remote
    if not create and not paths.catalog.is_file():
        raise StoreError(f"no index at {paths.root}: run `kotae ingest PATH --store {paths.root}` first")
    return Catalog(paths.catalog)


def open_vectors(paths: StorePaths, chroma_url: str | None = None, fresh: bool = False) -> VectorStore:
    """The chunk vectors: on the Chroma server when `chroma_url` is set, else embedded in the store folder."""
    return server_vectors(chroma_url) if chroma_url else embedded_vectors(paths.chroma, fresh=fresh)


def store_name(paths: StorePaths, chroma_url: str | None) -> str:
    """How messages name the store: the Chroma server's address, or the folder."""
    return f"the Chroma server at {chroma_url}" if chroma_url else f"the store at {paths.root}"


def check_embedder(catalog: CatalogStore, embedder_name: str, where: str) -> None:
    """Refuse to mix vectors of two embedders in one store; bind an empty store to `embedder_name`."""
    bound = catalog.get_meta("embedder")
    if bound is None:
        catalog.set_meta("embedder", embedder_name)
    elif bound != embedder_name:
        raise StoreError(
            f"{where} was built with embedder '{bound}', but KOTAE_EMBEDDER_NAME is "
            f"'{embedder_name}': set KOTAE_EMBEDDER_NAME={bound} or use another --store"
        )


class IngestLock:
    """An exclusive, non-blocking lock on the store for one ingestion run (released if the process dies)."""

    def __init__(self, paths: StorePaths) -> None:
        self._path = paths.lock
        self._file: IO[str] | None = None

    def __enter__(self) -> IngestLock:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(f"the store at {self._path.parent} is being ingested by pid {holder}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def registered_folders(paths: StorePaths) -> list[Path]:
    """The folders ingested into the store, in the order they were first ingested."""
    return [Path(p) for p in _read_list(paths.folders)]


def register_folders(paths: StorePaths, folders: list[Path]) -> None:
    """Remember `folders` (absolute) as folders of the store; already known ones are kept once."""
    known = _read_list(paths.folders)
    for folder in folders:
        absolute = os.path.abspath(folder)  # spelled as ingestion stores a document's root
        if absolute not in known:
            known.append(absolute)
    _write_list(paths.folders, known)


def excluded_sources(paths: StorePaths) -> set[str]:
    """Sources an admin removed from the index; ingestion skips them."""
    return set(_read_list(paths.excluded))


def exclude_sources(paths: StorePaths, sources: list[str]) -> None:
    """Record `sources` as removed, so a later run does not add them back."""
    _write_list(paths.excluded, sorted(set(_read_list(paths.excluded)) | set(sources)))


def include_sources(paths: StorePaths, sources: list[str]) -> None:
    """Forget removals of `sources` (an admin uploaded the file again)."""
    _write_list(paths.excluded, sorted(set(_read_list(paths.excluded)) - set(sources)))


def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path}: unreadable ({exc}); fix or delete the file") from exc
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise StoreError(f"{path}: expected a JSON list of strings; fix or delete the file")
    return data


def _write_list(path: Path, items: list[str]) -> None:
    """Write atomically: a crash leaves the old list or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, path)
