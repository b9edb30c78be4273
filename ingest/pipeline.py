"""One ingestion run: scan the given paths, redo only what changed, and report per file.

Order of work, chosen for crash safety (see `kotae/index/catalog.py`):
1. delete from Chroma whatever a killed run left pending;
2. remove documents whose files are gone from the scanned folders;
3. for each new or changed file: load, structure, chunk and tokenize (in a worker process, see `prepare.py`),
   embed (reusing stored vectors of identical text), write vectors under pending ids, then commit the
   document in one catalogue transaction;
4. rebuild the lexical index when the catalogue generation moved (embedded stores; with a Chroma server each
   reader builds it from the collection).

A store error (Chroma down or failing) ends the run: it is not the file's fault, and what was committed stays.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ingest.discover import Candidate, scan
from ingest.documents import content_hash, document_version
from ingest.meta import Overrides, overrides_for
from ingest.prepare import Failed, Job, Preparation, Prepared, one_line
from ingest.progress import Progress, SilentProgress
from kotae.embedders import Embedder, Vectors, embedder_key, load_embedder
from kotae.errors import KotaeError, LoadError, StoreError
from kotae.index import lexical
from kotae.index.catalog import CatalogStore, DocumentRecord
from kotae.index.store import (
    IngestLock,
    StorePaths,
    check_embedder,
    exclude_sources,
    excluded_sources,
    open_catalog,
    open_vectors,
    register_folders,
    store_name,
)
from kotae.index.vectors import VectorStore
from kotae.settings import Settings
from kotae.types import Chunk


@dataclass
class Summary:
    """The outcome of a run; `--json` prints exactly this (documents/chunks count the whole store)."""

    documents: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded_chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    failed: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    needs_ocr: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class _Planned:
    candidate: Candidate
    content: str
    version: str
    overrides: Overrides


class _Writer:
    """The store opened for writing, with the embedder loaded only when something needs embedding."""

    def __init__(self, settings: Settings, paths: StorePaths, catalog: CatalogStore) -> None:
        self.settings = settings
        self.paths = paths
        self.catalog = catalog
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self.embed_seconds = 0.0  # time inside the embedder, for the benchmark's share of time

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(
                self.settings.embedder.name, self.settings.embedder.model_path, self.settings.embedder.threads
            )
        return self._embedder

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            self._vectors = open_vectors(self.paths, self.settings.store.chroma_url)
        return self._vectors

    def warm_up(self) -> None:
        """Load the embedder and open Chroma now."""
        _ = self.vectors

    def recover(self) -> None:
        """Delete from Chroma every id a killed run left pending (uncommitted writes, committed removals)."""
        pending = self.catalog.pending()
        if pending:
            self.vectors.delete(pending)
            self.catalog.clear_pending(pending)

    def remove(self, source: str) -> None:
        """Remove a document whose file is gone."""
        stale = self.catalog.remove_document(source)
        self.vectors.delete(stale)
        self.catalog.clear_pending(stale)

    def store(self, prepared: Prepared, root: Path) -> int:
        """Embed and commit one document; returns how many chunks were embedded (not reused)."""
        doc, chunks = prepared.doc, prepared.chunks
        vectors, embedded = self._vectors_for(chunks, prepared.text_hashes)
        self.catalog.add_pending(c.chunk_id for c in chunks)
        self.vectors.upsert(chunks, vectors, prepared.tokens, prepared.text_hashes)
        record = DocumentRecord(
            source=doc.source, root=str(root), content_hash=doc.content_hash, version=doc.version,
            doc_type=doc.doc_type, title=doc.title, date=doc.date, access_groups=doc.access_groups,
            pages=len(doc.pages), needs_ocr=doc.needs_ocr, n_chunks=len(chunks), indexed_at="",
        )
        stale = self.catalog.commit_document(record, chunks, prepared.tokens, prepared.text_hashes)
        self.vectors.delete(stale)
        self.catalog.clear_pending(stale)
        return embedded

    def _vectors_for(self, chunks: list[Chunk], text_hashes: list[str]) -> tuple[Vectors, int]:
        """Vectors for `chunks`: stored ones for text already embedded, new ones for the rest."""
        known = self.catalog.chunk_ids_by_text_hash(text_hashes)
        stored = self.vectors.embeddings(list(set(known.values()))) if known else {}
        out = np.zeros((len(chunks), self.embedder.dim), dtype=np.float32)
        todo: list[int] = []
        for i, text_hash in enumerate(text_hashes):
            vector = stored.get(known.get(text_hash, ""))
            if vector is not None and vector.shape == (self.embedder.dim,):
                out[i] = vector
            else:
                todo.append(i)
        batch = self.settings.embedder.batch_size
        for b in range(0, len(todo), batch):
            rows = todo[b : b + batch]
            texts = [chunks[i].text for i in rows]
            embedder = self.embedder  # loading the model is not embedding time
            began = time.perf_counter()
            out[rows] = embedder.embed_passages(texts)
            self.embed_seconds += time.perf_counter() - began
        return out, len(todo)

    def refresh_lexical(self) -> None:
        """Rebuild the BM25 index when it does not reflect the catalogue's generation (embedded stores only)."""
        if self.settings.store.chroma_url:
            return
        generation = self.catalog.generation()
        if lexical.saved_generation(self.paths.lexical) != generation:
            lexical.save(lexical.build(self.catalog), self.paths.lexical)


def run_ingest(paths: list[Path], settings: Settings, progress: Progress | None = None) -> Summary:
    """Ingest files and folders into the store named by `settings`; see the module docstring."""
    started = time.monotonic()
    progress = progress or SilentProgress()
    store_paths = StorePaths(settings.store.dir)
    summary = Summary()
    url = settings.store.chroma_url
    with IngestLock(store_paths):
        catalog = open_catalog(store_paths, create=True, chroma_url=url)
        try:
            # Before any work: a store built by another embedder is refused as a whole, not file by file.
            check_embedder(catalog, embedder_key(settings.embedder.name, settings.embedder.model_path),
                           store_name(store_paths, url))
            register_folders(store_paths, [p for p in paths if p.is_dir()])
            with catalog.writer_lease():
                writer = _Writer(settings, store_paths, catalog)
                writer.recover()
                _ingest(paths, settings, writer, summary, progress, excluded_sources(store_paths))
                writer.refresh_lexical()
                summary.documents = len(catalog.documents())
                summary.chunks = catalog.chunk_count()
                summary.embed_seconds = round(writer.embed_seconds, 3)
        finally:
            progress.close()
            catalog.close()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def remove_documents(sources: list[str], settings: Settings) -> Summary:
    """Remove indexed documents and keep later runs from adding them back (an uploaded copy is deleted).
    Raises `StoreError` naming a source that is not indexed, before removing anything."""
    started = time.monotonic()
    store_paths = StorePaths(settings.store.dir)
    summary = Summary()
    with IngestLock(store_paths):
        catalog = open_catalog(store_paths, create=False, chroma_url=settings.store.chroma_url)
        try:
            stored = catalog.documents()
            unknown = [s for s in sources if s not in stored]
            if unknown:
                raise StoreError(f"not indexed: {', '.join(unknown)}")
            with catalog.writer_lease():
                writer = _Writer(settings, store_paths, catalog)
                writer.recover()
                uploads = os.path.abspath(store_paths.uploads)
                exclude_sources(store_paths, [str(Path(stored[s].root) / s) for s in sources])
                for source in sources:
                    writer.remove(source)
                    summary.removed += 1
                    if stored[source].root == uploads:
                        (store_paths.uploads / source).unlink(missing_ok=True)
                writer.refresh_lexical()
                summary.documents = len(catalog.documents())
                summary.chunks = catalog.chunk_count()
        finally:
            catalog.close()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _ingest(paths: list[Path], settings: Settings, writer: _Writer, summary: Summary,
            progress: Progress, excluded: set[str]) -> None:
    catalog = writer.catalog
    chunking = {"target": settings.ingest.chunk_chars, "max": settings.ingest.max_chunk_chars,
                "sudachi": settings.lexical.sudachi_mode}
    max_bytes = int(settings.ingest.max_file_mb * 1_000_000)
    stored = catalog.documents()
    planned: list[_Planned] = []
    for path in paths:
        result = scan(path, max_bytes)
        root = str(result.root)
        seen_sources: set[str] = set()
        for refused in result.refused:
            _fail(summary, catalog, refused.source, root, refused.reason)
            seen_sources.add(refused.source)
        for candidate in result.candidates:
            if str(candidate.root / candidate.source) in excluded:
                continue  # removed by an admin: not seen, so a stored copy goes too
            seen_sources.add(candidate.source)
            try:
                planned.append(_plan(candidate, chunking))
            except (OSError, LoadError) as exc:
                _fail(summary, catalog, candidate.source, root, one_line(exc))
        if path.is_dir():  # deletion is scoped to the folders given
            for source, record in stored.items():
                if record.root == root and source not in seen_sources:
                    writer.remove(source)
                    summary.removed += 1
            catalog.forget_failures(s for s in catalog.failure_sources_under(root) if s not in seen_sources)

    stored = catalog.documents()
    changed: list[_Planned] = []
    for plan in planned:
        previous = stored.get(plan.candidate.source)
        if previous is not None and previous.root != str(plan.candidate.root):
            _fail(summary, catalog, plan.candidate.source, str(plan.candidate.root),
                  f"a document with this path is already indexed from {previous.root}")
        elif previous is not None and previous.version == plan.version:
            summary.unchanged += 1
            catalog.forget_failures([plan.candidate.source])  # it may have failed a check that has since changed
        else:
            changed.append(plan)

    # Which document holds each content now. A document being redone in this run owns its content only once
    # it is stored again, so a copy of its old bytes, or a file equal to one that fails, is not taken for a
    # duplicate.
    redone = {p.candidate.source for p in changed}
    owner_of_content = {r.content_hash: s for s, r in stored.items() if s not in redone}
    progress.start(len(changed))
    jobs = [
        Job(p.candidate.path, p.candidate.source, p.content, p.version, p.overrides, settings.ingest.chunk_chars,
            settings.ingest.max_chunk_chars, settings.lexical.sudachi_mode)
        for p in changed
    ]
    with Preparation(jobs) as prepared:
        if jobs:
            writer.warm_up()  # load the model while the worker prepares the first documents
        for plan, outcome in zip(changed, prepared, strict=True):
            _store_one(plan, outcome, writer, summary, stored, owner_of_content, progress)


def _store_one(plan: _Planned, outcome: Prepared | Failed, writer: _Writer, summary: Summary,
               stored: dict[str, DocumentRecord], owner_of_content: dict[str, str], progress: Progress) -> None:
    """Store one prepared document, or report it as a duplicate or a failure."""
    source, folder = plan.candidate.source, plan.candidate.root
    owner = owner_of_content.get(plan.content)
    if owner is not None and owner != source:
        summary.duplicates.append({"source": source, "same_as": owner})
        if source in stored:  # it used to differ; now it only repeats another file
            writer.remove(source)
            summary.removed += 1
        progress.file_done(source, 0, "duplicate")
        return
    try:
        if isinstance(outcome, Failed):
            raise LoadError(outcome.reason)
        summary.embedded_chunks += writer.store(outcome, folder)
    except StoreError:
        raise  # the store failed, not the file: end the run (what was committed stays)
    except (OSError, KotaeError) as exc:
        _fail(summary, writer.catalog, source, str(folder), one_line(exc))
        progress.file_done(source, 0, "failed")
        return
    owner_of_content[plan.content] = source
    if outcome.doc.needs_ocr:
        summary.needs_ocr.append({"source": source, "pages": list(outcome.doc.needs_ocr)})
    status = "updated" if source in stored else "added"
    summary.updated += status == "updated"
    summary.added += status == "added"
    progress.file_done(source, len(outcome.chunks), status)


def _plan(candidate: Candidate, chunking: dict[str, object]) -> _Planned:
    content = content_hash(candidate.path.read_bytes())
    overrides = overrides_for(candidate.path, candidate.root)
    return _Planned(candidate, content, document_version(content, overrides, chunking), overrides)


def _fail(summary: Summary, catalog: CatalogStore, source: str, root: str, reason: str) -> None:
    summary.failed.append({"source": source, "reason": reason})
    catalog.record_failure(source, root, reason)
