"""The lexical index: BM25 (bm25s) over Sudachi tokens of the committed chunks, kept beside Chroma.

It is rebuilt from the catalogue's stored tokens after every run that changed anything, into a folder named
after the catalogue generation it reflects, so a reader can tell whether it is current.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kotae.index.catalog import CatalogStore


class LexicalIndex:
    """BM25 scores over chunk ids; `generation` is the catalogue generation it was built from."""

    def __init__(self, retriever: Any, chunk_ids: list[str], generation: int) -> None:
        self._retriever = retriever
        self.chunk_ids = chunk_ids
        self.generation = generation

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def scores(self, query_tokens: list[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every chunk (aligned with `chunk_ids`) for the query tokens."""
        if not self.chunk_ids or not query_tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        known = [t for t in query_tokens if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def document_frequencies(self, tokens: list[str], visible: npt.NDArray[np.bool_] | None = None
                             ) -> tuple[dict[str, int], int]:
        """How many chunks hold each token, and how many chunks there are — counting only the `visible` ones
        (a mask aligned with `chunk_ids`), so a user's statistics never reflect documents they may not see."""
        n = len(self.chunk_ids) if visible is None else int(visible.sum())
        if not self.chunk_ids:
            return dict.fromkeys(tokens, 0), n
        vocab: dict[str, int] = self._retriever.vocab_dict
        indptr: Any = self._retriever.scores["indptr"]
        rows_of: Any = self._retriever.scores["indices"]
        frequencies: dict[str, int] = {}
        for token in tokens:
            column = vocab.get(token)
            if column is None:
                frequencies[token] = 0
                continue
            rows = rows_of[indptr[column]:indptr[column + 1]]
            frequencies[token] = len(rows) if visible is None else int(np.count_nonzero(visible[rows]))
        return frequencies, n


def build(catalog: CatalogStore) -> LexicalIndex:
    """Build the index in memory from the catalogue's tokens."""
    import bm25s

    generation = catalog.generation()
    chunk_ids: list[str] = []
    corpus: list[list[str]] = []
    for chunk_id, tokens in catalog.iter_chunk_rows():
        chunk_ids.append(chunk_id)
        corpus.append(tokens.split(" ") if tokens else [])
    retriever = bm25s.BM25()
    if corpus:
        retriever.index(corpus, show_progress=False)
    return LexicalIndex(retriever, chunk_ids, generation)


def save(index: LexicalIndex, folder: Path) -> None:
    """Write the index to `folder/gen-N` atomically (temp folder + rename), and remove older generations."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"gen-{index.generation}"
    tmp = folder / f".tmp-gen-{index.generation}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    if index.chunk_ids:
        index._retriever.save(str(tmp))
    (tmp / "chunk_ids.json").write_text(json.dumps(index.chunk_ids), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    for old in folder.iterdir():
        if old != final:
            shutil.rmtree(old, ignore_errors=True)


def load(folder: Path, generation: int) -> LexicalIndex | None:
    """The saved index for `generation`, or None when it is missing (then build it from the catalogue)."""
    import bm25s

    path = folder / f"gen-{generation}"
    ids_file = path / "chunk_ids.json"
    if not ids_file.is_file():
        return None
    chunk_ids = json.loads(ids_file.read_text(encoding="utf-8"))
    retriever = bm25s.BM25.load(str(path)) if chunk_ids else bm25s.BM25()
    return LexicalIndex(retriever, chunk_ids, generation)


def saved_generation(folder: Path) -> int | None:
    """The generation of the saved index, if any."""
    if not folder.is_dir():
        return None
    gens = [int(p.name[4:]) for p in folder.iterdir() if p.name.startswith("gen-") and p.name[4:].isdigit()]
    return max(gens) if gens else None
