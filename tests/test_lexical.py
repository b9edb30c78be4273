"""The BM25 index (kotae/index/lexical.py) on the corpus's real tokens: the scores of bm25s's Lucene BM25 when
everything is visible; with a visibility mask, exactly the scores of an index holding only the visible chunks;
saved and loaded intact; an index of another format or a damaged one counts as missing."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import bm25s
import numpy as np
import pytest

from kotae.index import lexical
from kotae.index.catalog import Catalog
from kotae.jtext import SudachiTokenizer

QUERIES = ("生成AIに個人情報を入力してよいか", "書かない窓口の実績", "マイナンバーカード 紛失 手続 手続",
           "DX推進計画の目標", "粗大ごみ", "ヤングケアラー")


class _Rows:
    """A catalogue stand-in holding only some of the chunks (what `build` reads), for the reference index."""

    def __init__(self, rows: list[tuple[str, str]], generation: int) -> None:
        self._rows, self._generation = rows, generation

    def iter_chunk_rows(self) -> list[tuple[str, str]]:
        return self._rows

    def generation(self) -> int:
        return self._generation


@pytest.fixture(scope="module")
def rows(corpus_store: Path) -> list[tuple[str, str]]:
    with closing(Catalog(corpus_store / "catalog.sqlite")) as catalog:
        return list(catalog.iter_chunk_rows())


@pytest.fixture(scope="module")
def tokenizer() -> SudachiTokenizer:
    return SudachiTokenizer("A")


def test_everything_visible_scores_as_bm25s(rows: list[tuple[str, str]], tokenizer: SudachiTokenizer) -> None:
    index = lexical.build(_Rows(rows, 1))  # type: ignore[arg-type]
    reference = bm25s.BM25()
    reference.index([t.split(" ") if t else [] for _, t in rows], show_progress=False)
    for query in QUERIES:
        tokens = tokenizer.tokenize(query)
        known = [t for t in tokens if t in reference.vocab_dict]
        expected = np.asarray(reference.get_scores(known) if known else np.zeros(len(rows)), dtype=np.float32)
        assert np.allclose(index.scores(tokens), expected, atol=1e-5), query


def test_a_mask_scores_as_an_index_of_the_visible_chunks_alone(rows: list[tuple[str, str]],
                                                              tokenizer: SudachiTokenizer) -> None:
    index = lexical.build(_Rows(rows, 1))  # type: ignore[arg-type]
    visible = np.array([i % 3 != 0 for i in range(len(rows))])
    alone = lexical.build(_Rows([r for r, v in zip(rows, visible, strict=True) if v], 1))  # type: ignore[arg-type]
    for query in QUERIES:
        tokens = tokenizer.tokenize(query)
        masked = index.scores(tokens, visible, ("everyone",))
        assert np.all(masked[~visible] == 0)
        assert np.allclose(masked[visible], alone.scores(tokens), atol=1e-6), query
        frequencies, n = index.document_frequencies(tokens, visible)
        assert (frequencies, n) == alone.document_frequencies(tokens)


def test_saved_and_loaded_it_scores_the_same(rows: list[tuple[str, str]], tokenizer: SudachiTokenizer,
                                            tmp_path: Path) -> None:
    index = lexical.build(_Rows(rows, 7))  # type: ignore[arg-type]
    lexical.save(index, tmp_path)
    assert lexical.saved_generation(tmp_path) == 7
    loaded = lexical.load(tmp_path, 7)
    assert loaded is not None and loaded.chunk_ids == index.chunk_ids
    tokens = tokenizer.tokenize(QUERIES[1])
    assert np.array_equal(loaded.scores(tokens), index.scores(tokens))
    assert lexical.load(tmp_path, 8) is None


def test_a_damaged_or_foreign_index_counts_as_missing(rows: list[tuple[str, str]], tmp_path: Path) -> None:
    lexical.save(lexical.build(_Rows(rows, 3)), tmp_path)  # type: ignore[arg-type]
    rows_file = tmp_path / "gen-3" / "rows.npy"
    rows_file.write_bytes(rows_file.read_bytes()[:100])
    assert lexical.load(tmp_path, 3) is None
    foreign = tmp_path / "other" / "gen-4"
    foreign.mkdir(parents=True)
    (foreign / "chunk_ids.json").write_text("[]", encoding="utf-8")  # what bm25s's saved index looked like
    assert lexical.load(tmp_path / "other", 4) is None and lexical.saved_generation(tmp_path / "other") is None
