"""The store folder: the catalogue, the Chroma database and the lexical index side by side.

    store/
      catalog.sqlite   which documents and chunks are committed (the commit point)
      chroma/          dense vectors and filter metadata (embedded Chroma)
      lexical/gen-N/   BM25 over the committed chunks of catalogue generation N
      ingest.lock      held by the one ingestion run allowed at a time
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from kotae.errors import StoreError
from kotae.index.catalog import Catalog


class StorePaths:
    """Where each part of a store lives."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog = root / "catalog.sqlite"
        self.chroma = root / "chroma"
        self.lexical = root / "lexical"
        self.lock = root / "ingest.lock"


def open_catalog(paths: StorePaths, create: bool) -> Catalog:
    """Open the catalogue; without `create`, a missing store is an error that names the folder."""
    if not create and not paths.catalog.is_file():
        raise StoreError(f"no index at {paths.root}: run `kotae ingest PATH --store {paths.root}` first")
    return Catalog(paths.catalog)


def check_embedder(catalog: Catalog, embedder_name: str, paths: StorePaths) -> None:
    """Refuse to mix vectors of two embedders in one store; bind an empty store to `embedder_name`."""
    bound = catalog.get_meta("embedder")
    if bound is None:
        catalog.set_meta("embedder", embedder_name)
    elif bound != embedder_name:
        raise StoreError(
            f"the store at {paths.root} was built with embedder '{bound}', but KOTAE_EMBEDDER_NAME is "
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
