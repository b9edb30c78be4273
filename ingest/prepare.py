"""Preparing documents: load, structure, chunk and tokenize, in a worker process beside the embedder.

PDF parsing and Sudachi are CPU-bound Python; running them in one worker process while the main process
embeds (one embedder thread, `KOTAE_EMBEDDER_THREADS`) keeps both cores busy without contention.
Results come back in input order, at most `AHEAD` documents ahead.

The worker is started with `spawn`, so a script that calls `run_ingest` must guard its entry point with
`if __name__ == "__main__":` (the `kotae` command does).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.documents import build_document
from ingest.loaders import ocr
from ingest.meta import Overrides
from kotae.errors import KotaeError, LoadError
from kotae.jtext import SudachiTokenizer
from kotae.types import Chunk, Document

AHEAD = 16  # prepared documents waiting: lets the worker run ahead while big minutes files embed


@dataclass(frozen=True)
class Job:
    """What a worker needs to prepare one file."""

    path: Path
    source: str
    content: str
    version: str
    overrides: Overrides
    chunk_chars: int
    max_chunk_chars: int
    sudachi_mode: str


@dataclass(frozen=True)
class Prepared:
    """A document ready to embed and store."""

    doc: Document
    chunks: list[Chunk]
    tokens: list[list[str]]
    text_hashes: list[str]


@dataclass(frozen=True)
class Failed:
    """A file that could not be prepared, with the one-line reason."""

    reason: str


_tokenizers: dict[str, SudachiTokenizer] = {}


def prepare(job: Job) -> Prepared | Failed:
    """Load, structure, chunk and tokenize one file; never raises for a bad file."""
    try:
        doc = build_document(job.path, job.source, job.content, job.version, job.overrides)
        chunks = chunk_document(doc, job.chunk_chars, job.max_chunk_chars)
        if not chunks:
            raise LoadError(_no_text_reason(doc))
    except (OSError, KotaeError, ValueError) as exc:
        return Failed(one_line(exc))
    except Exception as exc:  # a loader's or parser's bug on one file must not stop everyone else's run
        return Failed(f"unexpected error while reading ({type(exc).__name__}): {one_line(exc)}")
    tokenizer = _tokenizers.setdefault(job.sudachi_mode, SudachiTokenizer(job.sudachi_mode))
    tokens = [tokenizer.tokenize(c.indexed_text()) for c in chunks]
    text_hashes = [hashlib.sha256(c.indexed_text().encode()).hexdigest() for c in chunks]
    return Prepared(doc, chunks, tokens, text_hashes)


class Preparation:
    """Prepares jobs in order; with more than one job, in a worker process that starts on `with` entry.

    Starting the worker on entry lets the caller load its models while the first documents are prepared.
    """

    def __init__(self, jobs: list[Job]) -> None:
        self._jobs = iter(jobs)
        self._inline = len(jobs) <= 1
        self._pool: ProcessPoolExecutor | None = None
        self._waiting: deque[Future[Prepared | Failed]] = deque()

    def __enter__(self) -> Preparation:
        if not self._inline:
            # spawn: a fork of a process holding Chroma's and BLAS's threads is not safe.
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_exit_with_parent)
            for _ in range(AHEAD):
                self._submit_next()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __iter__(self) -> Iterator[Prepared | Failed]:
        if self._inline:
            yield from (prepare(job) for job in self._jobs)
            return
        while self._waiting:
            result = self._waiting.popleft().result()
            self._submit_next()
            yield result

    def _submit_next(self) -> None:
        job = next(self._jobs, None)
        if job is not None and self._pool is not None:
            self._waiting.append(self._pool.submit(prepare, job))


def _exit_with_parent() -> None:
    """In the worker: exit when the parent dies (a kill -9 of `kotae ingest` must leave no process behind).

    The worker holds both ends of its own input pipe, so it would never see end-of-file; the parent's
    sentinel becomes ready when the parent is gone.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _no_text_reason(doc: Document) -> str:
    """Why a document gave no chunks: the loader's reason for its unread pages (OCR switched off, tesseract
    not installed, past the OCR budget, OCR failed), or no text at all."""
    if doc.needs_ocr:
        if doc.needs_ocr_reason:
            return doc.needs_ocr_reason
        why = ocr.unavailable_reason() or "OCR read nothing from them"
        return f"needs OCR: no text layer on {ocr.page_ranges(doc.needs_ocr)} and {why}"
    return "no text found in the document"


def one_line(exc: BaseException) -> str:
    """The first line of an error message, for the per-file report."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
