"""The lexical index: BM25 over Sudachi tokens of the committed chunks, kept beside Chroma.

Our own inverted index (term -> the chunks holding it, with term frequencies, and each chunk's length) rather
than a library's precomputed score matrix, because scores must depend only on what the asking user may see:
document frequencies, the number of chunks and the average chunk length are counted over the visible chunks, so
a staff member's scores are exactly those of a store without the documents hidden from them (a precomputed
matrix bakes every document's statistics into every score, and 3.4856 instead of 3.5 told staff that a hidden
document on their topic exists). With everything visible the scores equal bm25s's Lucene variant (k1 1.5,
b 0.75), which this index replaced.

It is rebuilt from the catalogue's stored tokens after every run that changed anything, into a folder named
after the catalogue generation it reflects, so a reader can tell whether it is current. A folder this code cannot
read (another format, a truncated file) counts as missing: the reader builds the index from the catalogue.
"""

from __future__ import annotations

import json
import math
import shutil
import threading
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kotae.index.catalog import CatalogStore

K1 = 1.5
B = 0.75
FORMAT = {"format": "kotae-bm25", "version": 1, "k1": K1, "b": B}
_ARRAYS = ("indptr", "rows", "tf", "lengths")
_STATISTICS_KEPT = 32  # visibility groups whose chunk statistics are kept (a million chunks: 4 MB each)
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]


class LexicalIndex:
    """BM25 scores over chunk ids; `generation` is the catalogue generation it was built from."""

    def __init__(self, chunk_ids: list[str], generation: int, vocab: dict[str, int], indptr: npt.NDArray[np.int64],
                 rows: npt.NDArray[np.int32], tf: npt.NDArray[np.uint16], lengths: FloatArray) -> None:
        self.chunk_ids = chunk_ids
        self.generation = generation
        self._vocab = vocab
        self._indptr = indptr
        self._rows = rows  # for each term, the positions of the chunks holding it, ascending
        self._tf = tf  # how often the term occurs in each of those chunks
        self._lengths = lengths  # tokens per chunk
        self._statistics: dict[Hashable, tuple[int, FloatArray]] = {}
        self._statistics_lock = threading.Lock()
        self._weights: FloatArray | None = None  # tf / (tf + norm) of every posting, for the whole store

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def scores(self, query_tokens: list[str], visible: BoolArray | None = None,
               visible_key: Hashable = None) -> FloatArray:
        """BM25 score of every chunk (aligned with `chunk_ids`) for the query tokens (a repeated token counts
        again), computed as if the store held only the `visible` chunks (a mask; None: all). Invisible chunks
        score 0. `visible_key` names the mask (e.g. the user's groups) so its chunk statistics are kept."""
        out = np.zeros(len(self.chunk_ids), dtype=np.float32)
        counts = Counter(t for t in query_tokens if t in self._vocab)
        if not counts:
            return out
        n, norm = self._chunk_statistics(visible, visible_key)
        weights = self._whole_store_weights() if visible is None else None
        for token, times in counts.items():
            column = self._vocab[token]
            start, end = int(self._indptr[column]), int(self._indptr[column + 1])
            if weights is not None:  # everything visible: each posting's share was computed once
                rows = self._rows[start:end]
                idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
                out[rows] += np.float32(idf * times) * weights[start:end]
                continue
            rows, tf = self._postings(token, visible)
            if not len(rows):
                continue
            idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            out[rows] += np.float32(idf * times) * tf / (norm[rows] + tf)
        return out

    def _whole_store_weights(self) -> FloatArray:
        """tf / (tf + k1 * (1 - b + b * len / avg len)) of every posting with the whole store's average length,
        computed on the first query that sees everything (as a precomputed BM25 matrix holds it)."""
        if self._weights is None:
            _, norm = self._chunk_statistics(None, None)
            tf = self._tf.astype(np.float32)
            self._weights = tf / (norm[self._rows] + tf)
        return self._weights

    def document_frequencies(self, tokens: list[str], visible: BoolArray | None = None
                             ) -> tuple[dict[str, int], int]:
        """How many chunks hold each token, and how many chunks there are — counting only the `visible` ones
        (a mask aligned with `chunk_ids`), so a user's statistics never reflect documents they may not see."""
        n = len(self.chunk_ids) if visible is None else int(np.count_nonzero(visible))
        return {t: len(self._postings(t, visible)[0]) for t in tokens}, n

    def holding_all(self, tokens: list[str], visible: BoolArray | None = None) -> npt.NDArray[np.int32]:
        """Positions of the (visible) chunks holding every one of `tokens`, ascending (none for no tokens)."""
        rows: npt.NDArray[np.int32] | None = None
        for token in dict.fromkeys(tokens):
            found = self._postings(token, visible)[0]
            rows = found if rows is None else np.intersect1d(rows, found, assume_unique=True)
            if not len(rows):
                break
        return rows if rows is not None else np.zeros(0, dtype=np.int32)

    def _postings(self, token: str, visible: BoolArray | None) -> tuple[npt.NDArray[np.int32], FloatArray]:
        """The (visible) chunks holding `token` and its frequency in each."""
        column = self._vocab.get(token)
        if column is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        start, end = int(self._indptr[column]), int(self._indptr[column + 1])
        rows, tf = self._rows[start:end], self._tf[start:end].astype(np.float32)
        if visible is not None:
            keep = visible[rows]
            rows, tf = rows[keep], tf[keep]
        return rows, tf

    def _chunk_statistics(self, visible: BoolArray | None, key: Hashable) -> tuple[int, FloatArray]:
        """The number of visible chunks and each chunk's length normalisation k1 * (1 - b + b * len / avg len),
        the average taken over the visible chunks."""
        cache_key = ("all",) if visible is None else ("visible", key) if key is not None else None
        cached = self._statistics.get(cache_key) if cache_key is not None else None
        if cached is not None:
            return cached
        lengths = self._lengths if visible is None else self._lengths[visible]
        n = len(lengths)
        average = float(lengths.mean()) if n else 1.0
        norm = (K1 * (1 - B + B * self._lengths / max(average, 1e-9))).astype(np.float32)
        if cache_key is not None:
            with self._statistics_lock:
                if len(self._statistics) >= _STATISTICS_KEPT:
                    self._statistics.pop(next(iter(self._statistics)))
                self._statistics[cache_key] = (n, norm)
        return n, norm


def build(catalog: CatalogStore) -> LexicalIndex:
    """Build the index in memory from the catalogue's tokens."""
    generation = catalog.generation()
    chunk_ids: list[str] = []
    vocab: dict[str, int] = {}
    terms: list[int] = []
    rows: list[int] = []
    frequencies: list[int] = []
    lengths: list[int] = []
    for position, (chunk_id, text) in enumerate(catalog.iter_chunk_rows()):
        chunk_ids.append(chunk_id)
        tokens = text.split(" ") if text else []
        lengths.append(len(tokens))
        for token, count in Counter(tokens).items():
            terms.append(vocab.setdefault(token, len(vocab)))
            rows.append(position)
            frequencies.append(min(count, 65535))
    term_array = np.asarray(terms, dtype=np.int64)
    order = np.argsort(term_array, kind="stable")  # by term; within a term, chunks stay in position order
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_array, minlength=len(vocab)), out=indptr[1:])
    return LexicalIndex(chunk_ids, generation, vocab, indptr, np.asarray(rows, dtype=np.int32)[order],
                        np.asarray(frequencies, dtype=np.uint16)[order], np.asarray(lengths, dtype=np.float32))


def save(index: LexicalIndex, folder: Path) -> None:
    """Write the index to `folder/gen-N` atomically (temp folder + rename), and remove older generations."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"gen-{index.generation}"
    tmp = folder / f".tmp-gen-{index.generation}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    arrays: dict[str, npt.NDArray[Any]] = {"indptr": index._indptr, "rows": index._rows, "tf": index._tf,
                                           "lengths": index._lengths}
    for name, array in arrays.items():
        np.save(tmp / f"{name}.npy", array)
    terms = sorted(index._vocab, key=index._vocab.__getitem__)
    (tmp / "vocab.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
    (tmp / "chunk_ids.json").write_text(json.dumps(index.chunk_ids), encoding="utf-8")
    (tmp / "format.json").write_text(json.dumps(FORMAT), encoding="utf-8")  # last: marks the folder complete
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in folder.iterdir():
        if old != final:
            shutil.rmtree(old, ignore_errors=True)


def load(folder: Path, generation: int) -> LexicalIndex | None:
    """The saved index for `generation`, or None when it is missing or unreadable (then build it from the
    catalogue): an index of another format (bm25s's, written by earlier versions) or a damaged file."""
    path = folder / f"gen-{generation}"
    if not _our_format(path):
        return None
    try:
        terms = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        chunk_ids = json.loads((path / "chunk_ids.json").read_text(encoding="utf-8"))
        indptr, rows, tf, lengths = (np.load(path / f"{name}.npy", allow_pickle=False) for name in _ARRAYS)
    except (OSError, ValueError, EOFError):
        return None
    if len(indptr) != len(terms) + 1 or len(lengths) != len(chunk_ids) or len(rows) != len(tf):
        return None
    return LexicalIndex(chunk_ids, generation, {t: i for i, t in enumerate(terms)}, indptr, rows, tf, lengths)


def saved_generation(folder: Path) -> int | None:
    """The generation of the saved index in this code's format, if any (one of another format is rebuilt)."""
    if not folder.is_dir():
        return None
    gens = [int(p.name[4:]) for p in folder.iterdir()
            if p.name.startswith("gen-") and p.name[4:].isdigit() and _our_format(p)]
    return max(gens) if gens else None


def _our_format(path: Path) -> bool:
    try:
        return bool(json.loads((path / "format.json").read_text(encoding="utf-8")) == FORMAT)
    except (OSError, ValueError):
        return False
