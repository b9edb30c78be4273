"""One ingestion run: scan the given paths, redo only what changed, and report per file.

Order of work, chosen for crash safety (see `kotae/index/catalog.py`):
1. delete from Chroma whatever a killed run left pending;
2. remove documents whose files are gone from the scanned folders;
3. for each new or changed file: load, structure, chunk and tokenize (in a worker process, see `prepare.py`),
   embed (reusing stored vectors of identical text), write vectors under pending ids, then commit the
   document in one catalogue transaction;
4. rebuild the lexical index when the catalogue generation moved (embedded stores; with a Chroma server each
   reader builds it from the collection).

Embedded, the run holds the store (`kotae.index.owner`): no other process has it open meanwhile. When Chroma's
folder turns out damaged (a full disk or a kill during an earlier write), the run first rebuilds it from the
catalogue (`repair.py`) and says so in `repaired`. Before writing anything it checks that the disk has room
for what it will write.

A store error (Chroma down or failing, a full disk) ends the run with a one-line reason: it is not the file's
fault, and what was committed stays. A run can be cancelled between documents (`cancel`).

An admin's corrections of a document's fields (kept in the catalogue) are applied like metadata files, over them
(`ingest.meta.with_corrections`); they are part of the document's version, so `correct_document` saves them and
reads that one document again (its unchanged text is not embedded again), and later runs keep them.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ingest.discover import Candidate, scan
from ingest.documents import PIPELINE_VERSION, content_hash, document_version
from ingest.meta import Overrides, overrides_for, with_corrections
from ingest.prepare import Failed, Job, Preparation, Prepared, one_line
from ingest.progress import Progress, SilentProgress
from ingest.repair import backfill_vectors, mend_vectors, rebuild_vectors
from kotae.embedders import Embedder, Vectors, embedder_key, load_embedder
from kotae.errors import KotaeError, LoadError, StoreError
from kotae.index import lexical
from kotae.index.catalog import Catalog, CatalogStore, Correction, DocumentRecord
from kotae.index.probe import probe
from kotae.index.space import disk_full, estimate_growth, require_free
from kotae.index.store import (
    IngestLock,
    StoreDamaged,
    StorePaths,
    check_embedder,
    exclude_sources,
    excluded_sources,
    forget_state,
    open_catalog,
    open_vectors,
    register_folders,
    registered_folders,
    remove_unused_vectors,
    store_name,
    vectors_as_left,
    vectors_folder,
)
from kotae.index.vectors import VectorStore
from kotae.settings import Settings
from kotae.types import Chunk

log = logging.getLogger(__name__)


class Cancelled(KotaeError):
    """The run was cancelled (by an admin); what it had committed stays."""


@dataclass
class Summary:
    """The outcome of a run; `--json` prints exactly this (documents/chunks count the whole store)."""

    documents: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    upgraded: int = 0  # read again only because this Kotae reads documents better (their files did not change)
    embedded_chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    failed: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # files of a kind Kotae does not read, and why
    duplicates: list[dict[str, str]] = field(default_factory=list)
    needs_ocr: list[dict[str, object]] = field(default_factory=list)
    repaired: str | None = None  # why the store's vectors were rebuilt from the catalogue first, if they were

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class _Planned:
    candidate: Candidate
    content: str
    version: str
    overrides: Overrides
    chunking: dict[str, object]


class _Writer:
    """The store opened for writing, with the embedder loaded only when something needs embedding."""

    def __init__(self, settings: Settings, paths: StorePaths, catalog: CatalogStore) -> None:
        self.settings = settings
        self.paths = paths
        self.catalog = catalog
        self._embedder: Embedder | None = None
        self._vectors: VectorStore | None = None
        self.embed_seconds = 0.0  # time inside the embedder, for the benchmark's share of time
        self.repaired: str | None = None

    @property
    def embedded(self) -> Catalog | None:
        """The SQLite catalogue of an embedded store (None on a Chroma server, which keeps its own vectors)."""
        return self.catalog if isinstance(self.catalog, Catalog) else None

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
            self._vectors = self._open_vectors()
        return self._vectors

    def _open_vectors(self) -> VectorStore:
        """Open the vectors; a damaged embedded folder is rebuilt from the catalogue first, a legacy store gets
        its vectors copied into the catalogue, and a folder that lost committed chunks gets them back."""
        catalog = self.embedded
        try:
            vectors = open_vectors(self.paths, self.catalog, self.settings.store.chroma_url)
        except StoreDamaged as exc:
            if catalog is None:
                raise
            log.warning("%s; rebuilding them from the catalogue", exc)
            rebuilt = rebuild_vectors(self.paths, catalog, self.embed, self.reserve)
            self.repaired = f"{exc}: rebuilt from the catalogue ({rebuilt.chunks} chunks, {rebuilt.embedded} embedded)"
            vectors = open_vectors(self.paths, self.catalog)
        if catalog is not None:
            try:
                if catalog.get_meta("vectors_backfill") == "needed":
                    backfill_vectors(catalog, vectors, self.embed)
                if vectors.count() < catalog.chunk_count() + len(catalog.pending()):
                    mended = mend_vectors(catalog, vectors, self.embed)
                    self.repaired = self.repaired or f"{mended} committed chunks were missing from Chroma: restored"
            except BaseException:
                vectors.close()
                raise
        return vectors

    @property
    def reserve(self) -> int:
        return int(self.settings.store.min_free_mb * 1_000_000)

    def embed(self, texts: list[str]) -> Vectors:
        """Embed passages in batches, counting the time spent in the embedder."""
        embedder = self.embedder  # loading the model is not embedding time
        out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
        batch = self.settings.embedder.batch_size
        for b in range(0, len(texts), batch):
            began = time.perf_counter()
            out[b : b + batch] = embedder.embed_passages(texts[b : b + batch])
            self.embed_seconds += time.perf_counter() - began
        return out

    def close(self) -> None:
        """Let go of the vectors (the store's owner lock with them, when this was the last user)."""
        if self._vectors is not None:
            self._vectors.close()
            self._vectors = None

    def warm_up(self) -> None:
        """Open Chroma now (checking and mending it if needed)."""
        _ = self.vectors

    def require_room(self, files: list[Path]) -> None:
        """Refuse to start writing when the store's disk lacks room for what indexing `files` writes."""
        if self.settings.store.chroma_url or not files:
            return
        lexical_bytes = sum(f.stat().st_size for f in self.paths.lexical.rglob("*") if f.is_file()) \
            if self.paths.lexical.is_dir() else 0
        require_free(self.paths.root, estimate_growth(files) + lexical_bytes, self.reserve, "this ingestion run")

    def recover(self) -> None:
        """Delete from Chroma every id a killed run left pending (uncommitted writes, committed removals); forget
        Chroma folders a repair replaced."""
        if self.embedded is not None:
            remove_unused_vectors(self.paths, self.embedded)
            # Chroma's files changed since this code last closed them (a killed run, a full disk, damage), or a
            # store migrated from before the catalogue kept vectors: open them now, which checks and mends them.
            if not vectors_as_left(self.paths, self.embedded) or \
                    self.embedded.get_meta("vectors_backfill") == "needed":
                self.warm_up()
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
            municipality=doc.municipality, url=doc.url, fetched_at=doc.fetched_at, field_sources=doc.field_sources,
            pipeline=PIPELINE_VERSION,
        )
        stale = self.catalog.commit_document(record, chunks, prepared.tokens, prepared.text_hashes, vectors)
        self.vectors.delete(stale)
        self.catalog.clear_pending(stale)
        return embedded

    def _vectors_for(self, chunks: list[Chunk], text_hashes: list[str]) -> tuple[Vectors, int]:
        """Vectors for `chunks`: stored ones for text already embedded, new ones for the rest."""
        known = self.catalog.chunk_ids_by_text_hash(text_hashes)
        stored = self.catalog.vectors(list(set(known.values()))) if known else {}
        dim = self.embedder.dim
        out = np.zeros((len(chunks), dim), dtype=np.float32)
        todo: list[int] = []
        for i, text_hash in enumerate(text_hashes):
            vector = stored.get(known.get(text_hash, ""))
            if vector is not None and vector.shape == (dim,):
                out[i] = vector
            else:
                todo.append(i)
        if todo:
            out[todo] = self.embed([chunks[i].indexed_text() for i in todo])
        return out, len(todo)

    def refresh_lexical(self) -> None:
        """Rebuild the BM25 index when it does not reflect the catalogue's generation (embedded stores only)."""
        if self.settings.store.chroma_url:
            return
        generation = self.catalog.generation()
        if lexical.saved_generation(self.paths.lexical) != generation:
            lexical.save(lexical.build(self.catalog), self.paths.lexical)


@contextmanager
def _writing(settings: Settings, create: bool) -> Iterator[_Writer]:
    """The store opened for one writing run: its ingestion lock, the catalogue (embedder checked) and the writer
    lease; a full disk or a failing catalogue ends the run with a one-line reason."""
    store_paths = StorePaths(settings.store.dir)
    url = settings.store.chroma_url
    with IngestLock(store_paths):
        catalog = open_catalog(store_paths, create=create, chroma_url=url)
        writer = _Writer(settings, store_paths, catalog)
        try:
            # Before any work: a store built by another embedder is refused as a whole, not file by file.
            check_embedder(catalog, embedder_key(settings.embedder.name, settings.embedder.model_path),
                           store_name(store_paths, url))
            with catalog.writer_lease():
                yield writer
        except (OSError, sqlite3.Error, StoreError) as exc:
            full = None if url else disk_full(store_paths.root)
            if full:
                raise StoreError(f"{full}: the run stopped; documents committed before it are kept. Free some "
                                 "space and run again (a damaged index is repaired then)") from exc
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"the catalogue at {store_paths.catalog} failed: {exc}") from exc
            raise
        finally:
            writer.close()
            catalog.close()


def store_folders(settings: Settings) -> list[Path]:
    """Every folder ingested into the store before, and its uploads folder (what `--all` and the admin page's
    re-run ingest), those that exist."""
    paths = StorePaths(settings.store.dir)
    return [p for p in [*registered_folders(paths), paths.uploads] if p.is_dir()]


def run_ingest(paths: list[Path], settings: Settings, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> Summary:
    """Ingest files and folders into the store named by `settings`; see the module docstring. Raises
    `Cancelled` when `cancel` is set before the run ends (between documents)."""
    started = time.monotonic()
    progress = progress or SilentProgress()
    summary = Summary()
    try:
        with _writing(settings, create=True) as writer:
            register_folders(writer.paths, [p for p in paths if p.is_dir()])
            writer.recover()
            _ingest(paths, settings, writer, summary, progress, excluded_sources(writer.paths), cancel)
            _finish(writer, summary)
    finally:
        progress.close()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _finish(writer: _Writer, summary: Summary) -> None:
    """End a writing run: the lexical index made current, and the store's totals in the summary."""
    writer.refresh_lexical()
    summary.documents = len(writer.catalog.documents())
    summary.chunks = writer.catalog.chunk_count()
    summary.embed_seconds = round(writer.embed_seconds, 3)
    summary.repaired = writer.repaired


def remove_documents(sources: list[str], settings: Settings) -> Summary:
    """Remove indexed documents and keep later runs from adding them back (an uploaded copy is deleted).
    Raises `StoreError` naming a source that is not indexed, before removing anything."""
    started = time.monotonic()
    summary = Summary()
    with _writing(settings, create=False) as writer:
        catalog, store_paths = writer.catalog, writer.paths
        stored = catalog.documents()
        unknown = [s for s in sources if s not in stored]
        if unknown:
            raise StoreError(f"not indexed: {', '.join(unknown)}")
        writer.recover()
        uploads = os.path.abspath(store_paths.uploads)
        exclude_sources(store_paths, [str(Path(stored[s].root) / s) for s in sources])
        for source in sources:
            writer.remove(source)
            summary.removed += 1
            if stored[source].root == uploads:
                (store_paths.uploads / source).unlink(missing_ok=True)
        _finish(writer, summary)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def correct_document(source: str, changes: dict[str, str | None], by: str, settings: Settings,
                     progress: Progress | None = None, cancel: threading.Event | None = None) -> Summary:
    """Save an admin's corrections of an indexed document's fields (`changes`: title, date, doc_type,
    municipality; None or empty drops a field's correction, so the metadata files or the document say it again)
    and read the document again with them, in one writing run. Raises `StoreError` when the source is not indexed
    or its file is no longer there (nothing is saved then), `ValueError` naming a bad field."""
    started = time.monotonic()
    progress = progress or SilentProgress()
    summary = Summary()
    try:
        with _writing(settings, create=False) as writer:
            catalog = writer.catalog
            record = catalog.document(source)
            if record is None:
                raise StoreError(f"not indexed: {source}")
            root = Path(record.root)
            if not (root / source).is_file():
                raise StoreError(f"{source}: the file is no longer at {record.root}; the correction needs it to "
                                 "read the document again")
            catalog.set_corrections(source, changes, by)
            writer.recover()
            found = scan(root / source, int(settings.ingest.max_file_mb * 1_000_000), [root])
            if not found.candidates:  # too large now, or no longer a regular file: it fails as a run would say
                reasons = [r.reason for r in (*found.refused, *found.skipped)] or ["not a document Kotae reads"]
                _fail(summary, catalog, source, str(root), reasons[0])
            else:
                candidate = Candidate(found.candidates[0].path, root, source)
                try:
                    planned = [_plan(candidate, _chunking(settings), catalog.corrections().get(source, {}))]
                except (OSError, LoadError) as exc:
                    _fail(summary, catalog, source, str(root), one_line(exc))
                else:
                    _redo(planned, settings, writer, summary, progress, cancel)
            _finish(writer, summary)
    finally:
        progress.close()
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


@dataclass
class RepairSummary:
    """What `kotae repair` found and did; `--json` prints exactly this."""

    vectors: str  # whole | rebuilt | restored
    reason: str  # what the check found
    chunks: int = 0
    embedded_chunks: int = 0
    lexical_rebuilt: bool = True
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return asdict(self)


def run_repair(settings: Settings, force: bool = False) -> RepairSummary:
    """Check an embedded store and rebuild what is damaged from the catalogue: Chroma's folder when its check
    fails (or with `force`), the committed chunks it lacks, and always the BM25 index. Ends in the state a clean
    run leaves."""
    if settings.store.chroma_url:
        raise StoreError("kotae repair mends an embedded store; a Chroma server keeps its own files "
                         "(the next `kotae ingest` deletes what a dead run left there)")
    started = time.monotonic()
    with _writing(settings, create=False) as writer:
        catalog = writer.embedded
        assert catalog is not None  # an embedded store (checked above)
        folder = vectors_folder(writer.paths, catalog)
        if force:
            reason = "a rebuild was asked for (--force)"
        elif not folder.is_dir():
            reason = f"{folder.name}/ is missing" if catalog.chunk_count() else "empty store"
        else:
            result = probe(folder, writer.paths.catalog)
            reason = result.reason if not result.ok else ""
        if reason and (force or catalog.chunk_count()):
            forget_state(catalog, folder)
            rebuilt = rebuild_vectors(writer.paths, catalog, writer.embed, writer.reserve)
            summary = RepairSummary("rebuilt", reason, rebuilt.chunks, rebuilt.embedded)
        else:
            writer.warm_up()  # mends missing chunks and a migrated store's vectors
            summary = RepairSummary("restored" if writer.repaired else "whole", writer.repaired or "whole",
                                    catalog.chunk_count())
        writer.recover()
        lexical.save(lexical.build(catalog), writer.paths.lexical)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _chunking(settings: Settings) -> dict[str, object]:
    """The settings that decide how documents are chunked and tokenized (part of every document's version)."""
    return {"target": settings.ingest.chunk_chars, "max": settings.ingest.max_chunk_chars,
            "sudachi": settings.lexical.sudachi_mode}


def _ingest(paths: list[Path], settings: Settings, writer: _Writer, summary: Summary,
            progress: Progress, excluded: set[str], cancel: threading.Event | None) -> None:
    catalog = writer.catalog
    chunking = _chunking(settings)
    max_bytes = int(settings.ingest.max_file_mb * 1_000_000)
    stored = catalog.documents()
    corrections = catalog.corrections()
    planned: list[_Planned] = []
    for path in paths:
        _check_cancel(cancel)
        result = scan(path, max_bytes, paths)
        root = str(result.root)
        seen_sources: set[str] = set()
        for link in result.links:  # its target is indexed as itself, with its own metadata and groups
            summary.duplicates.append({"source": link.source, "same_as": _name_in(link.target, paths)})
        for refused in result.refused:
            _fail(summary, catalog, refused.source, root, refused.reason)
            seen_sources.add(refused.source)
        summary.skipped.extend({"source": s.source, "reason": s.reason} for s in result.skipped)
        for candidate in result.candidates:
            if str(candidate.root / candidate.source) in excluded:
                continue  # removed by an admin: not seen, so a stored copy goes too
            seen_sources.add(candidate.source)
            try:
                planned.append(_plan(candidate, chunking, corrections.get(candidate.source, {})))
            except (OSError, LoadError) as exc:
                _fail(summary, catalog, candidate.source, root, one_line(exc))
        if path.is_dir():  # deletion is scoped to the folders given
            for source, record in stored.items():
                if record.root == root and source not in seen_sources:
                    writer.remove(source)
                    summary.removed += 1
            catalog.forget_failures(s for s in catalog.failure_sources_under(root) if s not in seen_sources)
    _redo(planned, settings, writer, summary, progress, cancel)


def _redo(planned: list[_Planned], settings: Settings, writer: _Writer, summary: Summary, progress: Progress,
          cancel: threading.Event | None) -> None:
    """Store the planned files whose version differs from the stored one; count the others unchanged."""
    catalog = writer.catalog
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
    writer.require_room([p.candidate.path for p in changed])
    with Preparation(jobs) as prepared:
        if jobs:
            writer.warm_up()  # open (and if needed mend) Chroma while the worker prepares the first documents
        for plan, outcome in zip(changed, prepared, strict=True):
            _check_cancel(cancel)
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
        summary.needs_ocr.append({"source": source, "pages": list(outcome.doc.needs_ocr),
                                  "reason": outcome.doc.needs_ocr_reason})
    previous = stored.get(source)
    status = "added" if previous is None else "upgraded" if _only_upgraded(plan, previous) else "updated"
    summary.updated += status == "updated"
    summary.added += status == "added"
    summary.upgraded += status == "upgraded"
    progress.file_done(source, len(outcome.chunks), status)


def _name_in(target: Path, paths: list[Path]) -> str:
    """A link's target as the run names it: its source within the folder given that holds it."""
    for path in paths:
        folder = Path(os.path.realpath(path if path.is_dir() else path.parent))
        if target.is_relative_to(folder):
            return target.relative_to(folder).as_posix()
    return str(target)


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled by an admin; documents it had not committed are unchanged")


def _only_upgraded(plan: _Planned, previous: DocumentRecord) -> bool:
    """Whether the stored document differs only by the pipeline that read it: same bytes, same overrides and
    chunking settings, read by an older Kotae."""
    if previous.pipeline in ("", PIPELINE_VERSION) or previous.content_hash != plan.content:
        return False
    return previous.version == document_version(plan.content, plan.overrides, plan.chunking, previous.pipeline)


def _plan(candidate: Candidate, chunking: dict[str, object], corrections: dict[str, Correction]) -> _Planned:
    content = content_hash(candidate.path.read_bytes())
    overrides = with_corrections(overrides_for(candidate.path, candidate.root),
                                 {name: c.value for name, c in corrections.items()})
    return _Planned(candidate, content, document_version(content, overrides, chunking), overrides, chunking)


def _fail(summary: Summary, catalog: CatalogStore, source: str, root: str, reason: str) -> None:
    summary.failed.append({"source": source, "reason": reason})
    catalog.record_failure(source, root, reason)
