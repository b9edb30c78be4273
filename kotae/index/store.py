"""The store: where the catalogue, the vectors and the lexical index live.

Embedded (the default), all in one folder, readable by its owner only:

    store/
      catalog.sqlite   which documents and chunks are committed (the commit point), with their text, tokens and
                       vectors: the source of truth the other parts can be rebuilt from
      chroma/          dense vectors and filter metadata (embedded Chroma); after a repair `chroma-N/`, the one
                       the catalogue's `vectors_dir` names
      lexical/gen-N/   BM25 over the committed chunks of catalogue generation N
      owner.lock       held by the one process that has the vectors open (see `owner.py`)
      ingest.lock      held by the one ingestion run allowed at a time
      folders.json     the folders ingested into this store (re-run together from the admin page)
      excluded.json    sources an admin removed: later runs skip them
      uploads/         files uploaded through the admin page (a folder like any other)

On a Chroma server (`KOTAE_CHROMA_URL`), the catalogue and the vectors live on the server (`remote.py`) and each
process builds the lexical index in memory; the folder keeps only what is local to the machine (the lock,
folders.json, excluded.json, uploads/, users and audit).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
from pathlib import Path
from typing import IO

from kotae.errors import StoreError
from kotae.index import owner
from kotae.index.catalog import Catalog, CatalogStore
from kotae.index.probe import probe
from kotae.index.remote import RemoteCatalog, server_vectors
from kotae.index.vectors import VectorStore, embedded_vectors, fingerprint, is_open

DEFAULT_VECTORS_DIR = "chroma"
log = logging.getLogger(__name__)


class StoreDamaged(StoreError):
    """The store's vectors (Chroma's folder) are damaged; `kotae repair` or the next ingestion rebuilds them from
    the catalogue."""


class StorePaths:
    """Where each part of a store lives."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog = root / "catalog.sqlite"
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
    keep_private(paths.root)
    return Catalog(paths.catalog)


def keep_private(root: Path) -> None:
    """Make the store folder its owner's alone (0700): it holds restricted documents' text, and files inside it
    are created by libraries (Chroma, SQLite) with the process's default permissions."""
    root.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a store someone else owns is theirs to protect
        if root.stat().st_mode & 0o077:
            root.chmod(0o700)


def vectors_folder(paths: StorePaths, catalog: CatalogStore) -> Path:
    """The embedded Chroma folder the catalogue names (a repair builds a new one and names it)."""
    return paths.root / (catalog.get_meta("vectors_dir") or DEFAULT_VECTORS_DIR)


def open_vectors(paths: StorePaths, catalog: CatalogStore, chroma_url: str | None = None) -> VectorStore:
    """The chunk vectors: on the Chroma server when `chroma_url` is set, else embedded in the store folder.

    Embedded, this process holds the store (`owner.hold`) until the returned store is closed. A folder this code
    did not close cleanly last time (a killed run, a full disk, a copy from elsewhere) is first checked in a child
    process; `StoreDamaged` when it is not whole, so that no process opens it and crashes."""
    if chroma_url:
        return server_vectors(chroma_url)
    folder = vectors_folder(paths, catalog)
    owner.hold(paths.root)
    try:
        if not is_open(folder):
            _check_vectors(paths, catalog, folder)
        vectors = embedded_vectors(folder, on_last_close=lambda clean: _remember(paths, folder, clean),
                                   on_close=lambda: owner.release(paths.root))
    except BaseException:
        owner.release(paths.root)
        raise
    return vectors


def vectors_as_left(paths: StorePaths, catalog: CatalogStore) -> bool:
    """Whether the embedded Chroma folder is exactly as this code left it when it last closed it cleanly (or this
    process has it open): a cheap look at file sizes and times, with no need to open Chroma."""
    folder = vectors_folder(paths, catalog)
    if is_open(folder):
        return True
    if not folder.is_dir():
        return not catalog.chunk_count()
    return catalog.get_meta(_fingerprint_key(folder)) == fingerprint(folder)


def _check_vectors(paths: StorePaths, catalog: CatalogStore, folder: Path) -> None:
    """Raise `StoreDamaged` unless Chroma's folder is as this code left it, or passes the child process's check."""
    if not folder.is_dir():
        if catalog.chunk_count():
            raise StoreDamaged(f"the vectors of the store at {paths.root} are missing ({folder.name}/ is gone)")
        return
    if catalog.get_meta(_fingerprint_key(folder)) == fingerprint(folder):
        return
    log.info("checking %s in a separate process (it was not closed cleanly by this code)", folder)
    result = probe(folder, paths.catalog)
    if not result.ok:
        forget_state(catalog, folder)
        raise StoreDamaged(f"the vectors of the store at {paths.root} are damaged ({result.reason})")
    if result.count < catalog.chunk_count():
        raise StoreDamaged(f"the vectors of the store at {paths.root} are incomplete ({result.count} vectors for "
                           f"{catalog.chunk_count()} chunks)")


def _fingerprint_key(folder: Path) -> str:
    return f"fingerprint:{folder.name}"


def forget_state(catalog: CatalogStore, folder: Path) -> None:
    """Forget how `folder` looked when last closed, so every later open checks it in a child process first."""
    catalog.set_meta(_fingerprint_key(folder), "unknown")


def open_new_vectors(paths: StorePaths) -> tuple[VectorStore, Path]:
    """An empty Chroma folder beside the current one (`chroma-N`, N one more than any there), for a rebuild."""
    numbers = [int(p.name[7:]) for p in paths.root.glob("chroma-*") if p.name[7:].isdigit()]
    folder = paths.root / f"chroma-{max(numbers, default=1) + 1}"
    owner.hold(paths.root)
    try:
        return embedded_vectors(folder, on_last_close=lambda clean: _remember(paths, folder, clean),
                                on_close=lambda: owner.release(paths.root)), folder
    except BaseException:
        owner.release(paths.root)
        raise


def switch_vectors(catalog: Catalog, folder: Path) -> None:
    """Make `folder` the store's vectors: one catalogue commit, so readers reload and open it."""
    catalog.set_metas({"vectors_dir": folder.name})


def remove_unused_vectors(paths: StorePaths, catalog: CatalogStore) -> None:
    """Delete Chroma folders a repair replaced, once this process no longer has them open (no other process can:
    the caller holds the store)."""
    current = vectors_folder(paths, catalog)
    for folder in paths.root.iterdir():
        named = folder.name == DEFAULT_VECTORS_DIR or (folder.name.startswith("chroma-") and folder.name[7:].isdigit())
        if named and folder.is_dir() and folder != current and not is_open(folder):
            shutil.rmtree(folder, ignore_errors=True)


def _remember(paths: StorePaths, folder: Path, clean: bool) -> None:
    """After Chroma let go of `folder`: remember its files as they are now (forget them when a call failed, so the
    next open checks them in a child process)."""
    try:
        catalog = Catalog(paths.catalog)
        try:
            catalog.set_meta(_fingerprint_key(folder), fingerprint(folder) if clean else "unknown")
        finally:
            catalog.close()
    except Exception as exc:  # a full disk: the next open checks the folder in a child process instead
        log.warning("could not record the state of %s (%s)", folder, exc)


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
