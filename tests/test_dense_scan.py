"""A selective filter's dense candidates come from comparing the group's own vectors with the query (exact),
not from Chroma's filtered query: the nearest chunks of the group, every filter honoured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from kotae_env import clear_kotae_env

from kotae.settings import load_settings
from service.filters import Filters
from service.reader.search import Searcher


@pytest.fixture(scope="module")
def searcher(corpus_store: Path) -> Iterator[Searcher]:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        opened = Searcher(load_settings(corpus_store))
    yield opened
    opened.close()  # other modules' processes may open the store after this one


@pytest.mark.parametrize("filters", [Filters(source_prefix="faq/"), Filters(speaker=("教育長",)),
                                     Filters(doc_type=("manual",))])
def test_a_small_group_gets_its_exact_nearest_chunks(searcher: Searcher, filters: Filters) -> None:
    snap = searcher._snapshot
    view = snap.view
    mask = view.mask(filters)
    group = np.flatnonzero(mask)
    assert 0 < len(group) < len(view.chunk_ids)
    vector = searcher.embedder.embed_queries(["学校での生成ＡＩの利用"])[0]
    cosine: dict[int, float] = {}
    searcher._dense_within(snap, vector, mask, filters, None, 3, cosine, None)

    assert snap.vectors is not None
    stored = snap.vectors.embeddings([view.chunk_ids[p] for p in group])
    matrix = np.stack([stored[view.chunk_ids[p]] for p in group])
    exact = matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector))
    expected = [int(group[i]) for i in np.argsort(-exact, kind="stable")[:3]]
    assert sorted(cosine, key=lambda p: -cosine[p]) == expected
    assert all(mask[p] for p in cosine)
    assert [round(cosine[p], 4) for p in expected] == [round(float(exact[list(group).index(p)]), 4)
                                                       for p in expected]
