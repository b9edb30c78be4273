"""Search: the reader side's entry point. Holds the models and an in-memory view of one store, reloaded when an
ingestion commits a new catalogue generation. A question is analysed once (`query`, a `Query`); `search` then
passes it through the retrieval stages, all over the same snapshot:

    candidates  `_candidates` -> `Candidates`: BM25 over the visible chunks, the nearest visible vectors (and more
                of the filtered group's, or of the members' questions, when the nearest hold too few of them)
    fuse        `fuse.rank` -> a score per chunk: lexical and dense on one scale, plus the evidence of the
                member's question an answer responds to
    constrain   `_constrain` -> those scores after the question's municipality, the years it asks about and its
                compound terms held whole
    select      `select.select` -> the hits: the best positions, the catalogue's chunks, near-duplicates dropped

Fuse and constrain give a score per chunk (0: not a candidate), which constrain and select take, so another stage
(a reranker) fits between constrain and select without changing the others. The answer stages (`extract`, then
`compose/`) read the same `Query`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kotae.articles import matches
from kotae.embedders import Embedder, embedder_key, load_embedder
from kotae.errors import StoreError
from kotae.index import lexical
from kotae.index.catalog import CatalogStore
from kotae.index.owner import StoreInUse
from kotae.index.store import (
    StorePaths,
    check_embedder,
    open_catalog,
    open_vectors,
    store_name,
    vectors_folder,
)
from kotae.index.vectors import VectorStore
from kotae.jdates import year_variants
from kotae.jtext import SudachiTokenizer
from kotae.settings import Settings
from kotae.types import Hit, legacy_names
from service.compose.relevance import QueryTerms
from service.filters import FilterError, Filters, parse_filters
from service.reader.analysis import alternatives, analyse, compact, years_in
from service.reader.candidates import Candidates, FloatArray, Visibility
from service.reader.fuse import METHODS, RetrievalParams, rank
from service.reader.index_view import IndexView, build_view
from service.reader.periods import document_month, document_years, relative_years
from service.reader.places import municipalities, with_known_places
from service.reader.query import Query
from service.reader.select import select

__all__ = ["Filters", "Searcher", "parse_filters"]
log = logging.getLogger(__name__)


# A filter passed by at most this many chunks has its own vectors compared with the query directly (fetched
# once per snapshot: ~30 us a vector, 40 MB at this size) instead of Chroma's filtered query, which reads the
# metadata of every chunk: 0.8-2.7 s at a million chunks, whatever the filter.
SCAN_LIMIT = 20_000
RELOAD_WHILE_WRITING_S = 5.0
OTHER_PLACE = 0.3  # a chunk of another municipality than the question names keeps this share of its score
OTHER_ARTICLE = 0.3  # a chunk of another 例規 article than the question names keeps this share of its score
OTHER_YEAR = 0.5  # ... a chunk of a document of other years than the question asks about (unless it names one)
OTHER_DAY = 0.5  # ... a chunk of a document dated another day than the one the question names
YEAR_CANDIDATES = 300  # the best such chunks whose text is read for the asked year
PHRASE_WEIGHT = 1.0  # of the best score, added for holding the question's compound terms whole (all of them)
PHRASE_QUESTION_CHARS = 20  # ... in a question this short (a term typed alone, 「宿泊税の税率は」); a longer one
# shares its compounds with the member's question and the answer alike, and turn-aware ranking decides
PHRASE_CANDIDATES = 300  # chunks holding every piece of a compound whose text is read to find it whole
_SCANS_KEPT = 8  # filters whose vectors a snapshot keeps


@dataclass
class _Snapshot:
    """Everything that describes one catalogue generation; replaced whole, never changed in place (except the
    cache of filtered groups' vectors, which only grows from what the generation holds)."""

    generation: int
    lexical: lexical.LexicalIndex
    view: IndexView
    vectors: VectorStore | None  # None: damaged (dense search is skipped until a repair commits)
    scans: dict[tuple[Filters, str | None], tuple[Any, Any]] = field(default_factory=dict)
    places: dict[str, str | None] | None = None  # source -> municipality, read on first use (`place_of`)
    known_places: frozenset[str] | None = None  # the municipalities of `places`
    dates_of_source: list[str] | None = None  # each document's date ("" unknown), aligned with `view.sources`
    years_of_source: list[frozenset[int]] | None = None  # `periods.document_years`, aligned with `view.sources`
    place_of_source: Any = None  # the same aligned with `view.sources` (object array), made on first use


class Searcher:
    """Loads models once per process; `search` is safe to call from several threads. An embedded store is held
    by this process until `close` (see `kotae.index.owner`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.paths = StorePaths(settings.store.dir)
        self.chroma_url = settings.store.chroma_url  # None: an embedded store in `paths`
        self.catalog: CatalogStore = open_catalog(self.paths, create=False, chroma_url=self.chroma_url)
        check_embedder(self.catalog, embedder_key(settings.embedder.name, settings.embedder.model_path),
                       store_name(self.paths, self.chroma_url))
        self.embedder: Embedder = load_embedder(
            settings.embedder.name, settings.embedder.model_path, settings.embedder.threads
        )
        self.tokenizer = SudachiTokenizer(settings.lexical.sudachi_mode)
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._snapshot = self._first_load()
        warm = self.embedder.embed_queries(["ウォームアップ"])[0]  # the first real query pays no warm-up,
        if len(self._snapshot.view.chunk_ids):  # nor Chroma's loading of its index (2.4 s at a million chunks)
            self._query_vectors(self._snapshot, warm, 1, None)

    @property
    def generation(self) -> int:
        """The catalogue generation the searcher currently serves."""
        return self._snapshot.generation

    def _load(self, attempts: int = 10) -> _Snapshot | None:
        """A snapshot of one catalogue generation, or None when every attempt saw an ingestion commit between the
        two reads it takes (the lexical index and the chunk facts), which would make them disagree. With a Chroma
        server the lexical index is always built here, from the tokens stored in the collection."""
        for _ in range(attempts):
            generation = self.catalog.generation()
            saved = None if self.chroma_url else lexical.load(self.paths.lexical, generation)
            index = saved or lexical.build(self.catalog)
            facts = self.catalog.chunk_facts()
            if self.catalog.generation() != generation:
                continue
            try:
                view = build_view(index.chunk_ids, facts)
            except ValueError:  # read across a commit the generation did not show yet: read again
                continue
            self._loaded_at = time.monotonic()
            return _Snapshot(generation, index, view, self._vectors_for(getattr(self, "_snapshot", None)))
        return None

    def _first_load(self) -> _Snapshot:
        for _ in range(30):
            snapshot = self._load()
            if snapshot is not None:
                return snapshot
            time.sleep(0.2)
        raise StoreError(f"the catalogue of {store_name(self.paths, self.chroma_url)} kept changing while it was "
                         "read, or disagrees with its BM25 index: run `kotae repair`")

    def _vectors_for(self, previous: _Snapshot | None) -> VectorStore | None:
        """The vectors the new snapshot reads: the previous snapshot's while the catalogue names the same embedded
        folder (one client per folder and process sees every write made in the process) or on a Chroma server,
        else newly opened."""
        if previous is not None and previous.vectors is not None and (
                self.chroma_url or str(vectors_folder(self.paths, self.catalog)) == previous.vectors.where):
            return previous.vectors
        try:
            vectors = open_vectors(self.paths, self.catalog, self.chroma_url)
        except StoreInUse:
            raise
        except StoreError as exc:  # damaged, or failing to open: search goes on without the vectors
            log.error("%s; answering from BM25 alone until it is repaired (`kotae repair`, or the next ingestion)",
                      exc)
            return None
        if previous is not None and previous.vectors is not None:
            # Searches still running on the previous snapshot finish first (they take milliseconds).
            timer = threading.Timer(30.0, previous.vectors.close)
            timer.daemon = True
            timer.start()
        return vectors

    def close(self) -> None:
        """Let go of the store (an embedded store can then be opened by another process)."""
        snapshot = getattr(self, "_snapshot", None)
        if snapshot is not None and snapshot.vectors is not None:
            snapshot.vectors.close()

    def refresh(self) -> bool:
        """Reload when an ingestion has committed since; returns True when it did. When the store cannot be
        asked (a Chroma server restarting), or a consistent read could not be had, the current snapshot goes on
        serving.

        While a run of an embedded store is still committing (its BM25 index not yet saved for the latest
        generation), the index is rebuilt in memory at most every RELOAD_WHILE_WRITING_S: rebuilding it for each
        document's commit took the cores from the searches themselves. A run's documents show within that time,
        and all of them as soon as it has saved its index."""
        try:
            generation = self.catalog.generation()
            if generation == self._snapshot.generation:
                return False
            if (not self.chroma_url and time.monotonic() - self._loaded_at < RELOAD_WHILE_WRITING_S
                    and lexical.saved_generation(self.paths.lexical) != generation):
                return False
            with self._lock:
                if self.catalog.generation() == self._snapshot.generation:
                    return True  # another request reloaded meanwhile
                loaded = self._load()
                if loaded is None:
                    return False
                self._snapshot = loaded
        except StoreError as exc:
            log.warning("could not check the index for changes (%s); serving generation %d",
                        exc, self._snapshot.generation)
            return False
        return True

    def doc_types(self, access_groups: tuple[str, ...] | None = None) -> list[str]:
        """The document types of the documents visible to `access_groups` (None: all)."""
        view = self._snapshot.view
        if access_groups is None:
            return list(view.doc_type)
        visible = view.mask(Filters(access_groups=access_groups))
        present = np.bincount(view.doc_type_of[visible], minlength=len(view.doc_type))  # a sort was O(n log n)
        return sorted(view.doc_type[i] for i in np.flatnonzero(present))

    def term_weights(self, text: str, access_groups: tuple[str, ...] | None = None
                     ) -> tuple[list[str], dict[str, float], set[str]]:
        """The Sudachi tokens of `text`, the IDF of each (rare words weigh most) and the ones no chunk holds —
        among the chunks `access_groups` may see, so no statistic reveals a word of a hidden document."""
        tokens = self.tokenizer.tokenize(text)
        unique = list(dict.fromkeys(tokens))
        snap = self._snapshot
        visible = None if access_groups is None else snap.view.mask(Filters(access_groups=access_groups))
        frequencies, n = snap.lexical.document_frequencies(unique, visible)
        idf = {t: float(np.log(1 + (n - df + 0.5) / (df + 0.5))) for t, df in frequencies.items()}
        return tokens, idf, {t for t, df in frequencies.items() if df == 0}

    def query(self, text: str, access_groups: tuple[str, ...] | None = None) -> Query:
        """`text` analysed once for every stage: see `Query`."""
        analysis = with_known_places(analyse(text), self.known_places())
        tokens, idf, unknown = self.term_weights(text, access_groups)
        # the documents' words for a staff word they never use (私有車 for マイカー, 夕食 for 晩ごはん)
        alternative_words = [w for term in analysis.focus if set(self.tokenizer.tokenize(term)) & unknown
                             for w in alternatives(term)]
        extra = " ".join([*year_variants(text), *analysis.expansions, *alternative_words])
        search_tokens = tokens + (self.tokenizer.tokenize(extra) if extra else [])
        vector = self.embedder.embed_queries([text])[0]
        return Query(text, analysis, tuple(search_tokens), QueryTerms.of(tokens, idf, unknown), vector, access_groups)

    def terms(self, text: str, access_groups: tuple[str, ...] | None = None) -> QueryTerms:
        """The content words of `text` weighted by rarity among the chunks `access_groups` may see (no
        embedding: what the evidence check of drafts needs)."""
        return QueryTerms.of(*self.term_weights(text, access_groups))

    def known_places(self) -> frozenset[str]:
        """The municipalities the store's documents are of (kept per snapshot)."""
        snap = self._snapshot
        if snap.known_places is None:
            self.place_of("")
            snap.known_places = frozenset(p for p in (snap.places or {}).values() if p)
        return snap.known_places

    def place_of(self, source: str) -> str | None:
        """The municipality the document `source` is of (`places.municipalities`), None when not known."""
        snap = self._snapshot
        if snap.places is None:  # what ingestion read (issue 15), else what the titles say (stores before it)
            documents = self.catalog.documents()
            by_title = municipalities({s: d.title for s, d in documents.items()})
            snap.places = {s: d.municipality or by_title.get(s) for s, d in documents.items()}
        return snap.places.get(source)

    def search(self, query: str | Query, k: int = 10, filters: Filters | None = None,
               method: str = "default") -> list[Hit]:
        """The `k` best committed chunks for `query` passing `filters`, best first: the retrieval stages over
        one snapshot (see the module docstring)."""
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
        if k < 1:
            raise FilterError(f"k must be at least 1, not {k}")
        self.refresh()
        snap = self._snapshot
        params = METHODS[method]
        filters = filters or Filters()
        self._check_doc_types(filters)
        if isinstance(query, str):
            query = self.query(query, filters.access_groups)
        found = self._candidates(snap, query, filters, params)
        score = rank(snap.view, found.lexical, found.cosine, found.target, found.questions, params)
        score = self._constrain(snap, query, score, found.visible)
        return select(snap.view, score, found, self.catalog.chunks, k)

    def _check_doc_types(self, filters: Filters) -> None:
        """Refuse a document type filter naming none of the types the user may see (unless they see none)."""
        if not filters.doc_type:  # checked only when asked for: it costs a pass over every chunk
            return
        known_types = self.doc_types(filters.access_groups)  # only what this user may see is named
        unknown_types = set(filters.doc_type) - set(known_types)
        if unknown_types and known_types:
            raise FilterError(
                f"filter 'doc_type': no documents of type {', '.join(sorted(unknown_types))} "
                f"(the index has {', '.join(known_types)})"
            )

    # --- stage 1: candidates ------------------------------------------------------------------------------------------

    def _candidates(self, snap: _Snapshot, query: Query, filters: Filters, params: RetrievalParams) -> Candidates:
        """The chunks `query` may find in `snap`, among the ones its user may see: every chunk's BM25 score for
        the query's search tokens (with BM25's statistics counted over the visible chunks), and the dense
        candidates — the nearest visible vectors, plus enough of those passing `filters` (and of the members'
        questions, for turn-aware ranking) when the nearest hold too few of them."""
        view = snap.view
        target_mask = view.mask(filters)
        question_mask = view.mask(filters, roles=("member",))
        visible = self._visible(view, filters.access_groups)
        lexical_scores = (
            snap.lexical.scores(list(query.search_tokens), *((visible.mask, visible.groups) if visible else ()))
            .astype(np.float64)
            if params.use_lexical
            else np.zeros(len(view.chunk_ids))
        )
        cosine: dict[int, float] = {}  # position -> cosine similarity of the dense candidates (visible ones only)
        if params.use_dense and len(view.chunk_ids):
            vector = query.vector
            nearest = self._dense(snap, vector, None, params.depth * 5, cosine, visible)
            wider: list[int] = []  # the wider unfiltered query, asked at most once per search
            self._add_candidates_if_sparse(snap, vector, nearest, wider, target_mask, filters, None, params, cosine,
                                           visible)
            if params.use_questions:
                self._add_candidates_if_sparse(snap, vector, nearest, wider, question_mask, filters, "member", params,
                                               cosine, visible)
        return Candidates(lexical_scores, cosine, target_mask, question_mask, visible)

    @staticmethod
    def _visible(view: IndexView, access_groups: tuple[str, ...] | None) -> Visibility | None:
        """What a user in `access_groups` may see; None when that is every chunk (admins, or a store with nothing
        hidden from them), which keeps the unrestricted fast paths."""
        if access_groups is None:
            return None
        mask = view.mask(Filters(access_groups=access_groups))
        hidden = len(mask) - int(np.count_nonzero(mask))
        return Visibility(mask, access_groups, hidden) if hidden else None

    def _dense(self, snap: _Snapshot, vector: Any, where: dict[str, Any] | None, n: int,
               cosine: dict[int, float], visible: Visibility | None) -> list[int]:
        """Positions of the `n` nearest committed chunks by cosine among the `visible` ones (None: all), exactly
        the candidates a store without the hidden chunks would give, so no score depends on them (vectors of
        uncommitted writes never show either). Hidden chunks are skipped by asking Chroma for more: the `n`
        nearest visible chunks are among the nearest overall once those hold `n` visible ones."""
        hidden = 0 if visible is None else visible.hidden
        found = self._nearest(snap, vector, n + min(hidden, n), where, visible)
        if visible is not None and len(found) < n and hidden > n:
            found = self._nearest(snap, vector, n + min(hidden, 10 * n), where, visible)
            if len(found) < n and hidden > 10 * n:  # nearly everything near the query is hidden: filter in Chroma
                found = self._nearest(snap, vector, n, _with_access(where, visible.groups), visible)
        for pos, similarity in found[:n]:
            cosine[pos] = similarity
        return [pos for pos, _ in found[:n]]

    def _nearest(self, snap: _Snapshot, vector: Any, n: int, where: dict[str, Any] | None,
                 visible: Visibility | None) -> list[tuple[int, float]]:
        """Chroma's `n` nearest as (position, cosine), nearest first, keeping committed and visible chunks only."""
        found: list[tuple[int, float]] = []
        for chunk_id, similarity in self._query_vectors(snap, vector, n, where):
            pos = snap.view.position.get(chunk_id)
            if pos is not None and (visible is None or visible.mask[pos]):
                found.append((pos, similarity))
        return found

    def _query_vectors(self, snap: _Snapshot, vector: Any, n: int,
                       where: dict[str, Any] | None) -> list[tuple[str, float]]:
        """Chroma's nearest neighbours. When they cannot be had (damaged vectors, a Chroma server restarting; on a
        server a fresh client is tried once first), this query is answered from the lexical index alone rather
        than not at all."""
        if snap.vectors is None:
            return []
        try:
            return snap.vectors.query(vector, n, where)
        except StoreError as first:
            if self.chroma_url:
                try:
                    snap.vectors = open_vectors(self.paths, self.catalog, self.chroma_url)
                    return snap.vectors.query(vector, n, where)
                except StoreError:
                    pass
            log.warning("dense search unavailable for this query (%s); answering from BM25 alone", first)
            return []

    def _add_candidates_if_sparse(self, snap: _Snapshot, vector: Any, nearest: list[int], wider: list[int],
                                  mask: Any, filters: Filters, role: str | None, params: RetrievalParams,
                                  cosine: dict[int, float], visible: Visibility | None) -> None:
        """Make sure chunks passing `mask` have dense candidates. One unfiltered HNSW query serves all groups
        (a filtered Chroma query costs ~50 ms at 33k chunks, an unfiltered one ~7 ms). When a selective filter
        leaves too few of its nearest, a five times wider unfiltered query comes next (asked once per search and
        kept in `wider` for the other group), and a filtered Chroma query only after that (it reads the
        metadata of every chunk: 0.3-0.6 s at 333k chunks, 0.8-2.7 s at a million)."""
        enough = params.depth // 4
        if not mask.any() or _count(mask, nearest) >= enough:
            return
        if not wider:
            wider.extend(self._dense(snap, vector, None, params.depth * 25, cosine, visible))
        if _count(mask, wider) < enough:
            self._dense_within(snap, vector, mask, filters, role, params.depth * 2, cosine, visible)

    def _dense_within(self, snap: _Snapshot, vector: Any, mask: Any, filters: Filters, role: str | None, n: int,
                      cosine: dict[int, float], visible: Visibility | None) -> None:
        """The `n` nearest chunks passing `mask` (which holds visible chunks only): exactly, by comparing the
        group's own vectors when it is small (see SCAN_LIMIT), else by Chroma's filtered query."""
        positions = np.flatnonzero(mask)
        where = _chroma_where(filters, role)
        if visible is not None:
            where = _with_access(where, visible.groups)
        if len(positions) > SCAN_LIMIT:
            self._dense(snap, vector, where, n, cosine, visible)
            return
        key = (filters, role)
        scan = snap.scans.get(key)
        if scan is None:
            ids = [snap.view.chunk_ids[p] for p in positions]
            try:
                if snap.vectors is None:
                    return
                stored = snap.vectors.embeddings(ids)
            except StoreError:
                self._dense(snap, vector, where, n, cosine, visible)
                return
            kept = np.array([p for p, c in zip(positions, ids, strict=True) if c in stored], dtype=np.int64)
            matrix = np.stack([stored[snap.view.chunk_ids[p]] for p in kept]) if len(kept) else np.zeros((0, 1))
            if len(kept):
                matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            scan = (kept, matrix)
            if len(snap.scans) >= _SCANS_KEPT:
                snap.scans.clear()
            snap.scans[key] = scan
        kept, matrix = scan
        if not len(kept):
            return
        query = np.asarray(vector, dtype=np.float32)
        similarity = matrix @ (query / np.linalg.norm(query))
        for i in np.argsort(-similarity, kind="stable")[:n]:
            cosine[int(kept[i])] = float(similarity[i])

    # --- stage 3: constrain (stage 2 is `fuse.rank`, stage 4 `select.select`) -----------------------------------------

    def _constrain(self, snap: _Snapshot, query: Query, score: FloatArray, visible: Visibility | None) -> FloatArray:
        """The fused scores after the question's own constraints: its municipality (`_constrain_places`), the
        years it asks about (`_constrain_years`) and its compound terms held whole (`_constrain_phrases`)."""
        score = self._constrain_places(snap, query, score)
        score = self._constrain_articles(snap, query, score)
        score = self._constrain_years(snap, query, score)
        score = self._constrain_days(snap, query, score)
        return self._constrain_phrases(snap, query, score, visible)

    def _constrain_days(self, snap: _Snapshot, query: Query, score: FloatArray) -> FloatArray:
        """A question naming a day (「4月22日の臨時会」) is about the meeting held then: chunks of dated documents of
        other days keep OTHER_DAY of their score (when some document is of that day)."""
        days = {f"-{m:02d}-{d:02d}" for m, d in query.analysis.constraints.days}
        if not days or not len(score):
            return score
        view = snap.view
        if snap.dates_of_source is None:
            documents = self.catalog.documents()
            snap.dates_of_source = [(d.date or "") if (d := documents.get(s)) else "" for s in view.sources]
        of_day = np.array([date[4:10] in days for date in snap.dates_of_source], dtype=bool)
        other = np.array([bool(date) for date in snap.dates_of_source], dtype=bool) & ~of_day
        if not of_day.any():
            return score
        return np.where(other[view.source_of], score * OTHER_DAY, score)

    def _constrain_places(self, snap: _Snapshot, query: Query, score: FloatArray) -> FloatArray:
        """Chunks of another municipality than the one the question names keep OTHER_PLACE of their score (unless
        every document is of another one)."""
        view = snap.view
        places = query.analysis.constraints.places
        if places and len(score):
            if snap.place_of_source is None:
                snap.place_of_source = np.array([self.place_of(s) for s in view.sources], dtype=object)
            other = np.array([p is not None and p not in places for p in snap.place_of_source], dtype=bool)
            if other.any() and not other.all():
                score = np.where(other[view.source_of], score * OTHER_PLACE, score)
        return score

    @staticmethod
    def _constrain_articles(snap: _Snapshot, query: Query, score: FloatArray) -> FloatArray:
        """A question naming an article (「第5条」) asks for it: chunks of other articles of documents read by
        article (and their preambles) keep OTHER_ARTICLE of their score, when some chunk is of an asked article;
        other documents keep theirs."""
        asked = query.analysis.constraints.articles
        if not asked or not len(score):
            return score
        view = snap.view
        of_other = [int(i) for i in view.article_positions
                    if not (label := view.article_of[int(i)]) or not any(matches(label, a) for a in asked)]
        if len(of_other) == len(view.article_positions):
            return score
        score = score.copy()
        score[np.asarray(of_other, dtype=np.int64)] *= OTHER_ARTICLE
        return score

    def _constrain_years(self, snap: _Snapshot, query: Query, score: FloatArray) -> FloatArray:
        """Chunks of documents of other years than the question asks about (`periods.document_years`) keep
        OTHER_YEAR of their score, unless their own text names an asked year (a 決算 of 令和6年度 discussed in
        2025): read for the best YEAR_CANDIDATES of them only."""
        asked = {y.year for y in query.analysis.constraints.years}
        if not asked or not len(score) or score.max() <= 0:
            return score
        view = snap.view
        if snap.years_of_source is None:
            documents = self.catalog.documents()
            snap.years_of_source = [
                document_years(s, d.title, d.date) if (d := documents.get(s)) else frozenset() for s in view.sources]
        other_source = np.array([bool(y) and not y & asked for y in snap.years_of_source], dtype=bool)
        if not other_source.any() or other_source.all():
            return score
        other = other_source[view.source_of] & (score > 0)
        rows = np.flatnonzero(other)
        if len(rows) > YEAR_CANDIDATES:
            rows = rows[np.argsort(-score[rows], kind="stable")[:YEAR_CANDIDATES]]
        texts = self.catalog.chunks([view.chunk_ids[int(r)] for r in rows])
        for r in rows:
            chunk = texts.get(view.chunk_ids[int(r)])
            if chunk is None:
                continue
            named = {y.year for y in years_in(chunk.text)} | relative_years(
                chunk.text, document_month(chunk.source, chunk.date))
            if named & asked:
                other[int(r)] = False
        return np.where(other, score * OTHER_YEAR, score)

    def _constrain_phrases(self, snap: _Snapshot, query: Query, score: FloatArray,
                           visible: Visibility | None) -> FloatArray:
        """In a short question (PHRASE_QUESTION_CHARS), chunks holding its compound terms whole (宿泊税, not
        宿泊 … 税) gain up to PHRASE_WEIGHT of the best score; only chunks already scoring, and the visible ones,
        are read (the best PHRASE_CANDIDATES per term)."""
        view = snap.view
        phrases = query.phrases if len(compact(query.text)) <= PHRASE_QUESTION_CHARS else ()
        if not phrases or not len(score) or score.max() <= 0:
            return score
        held = np.zeros(len(score))
        for phrase in phrases:
            pieces = [t for t in self.tokenizer.tokenize(phrase) if t]
            rows = snap.lexical.holding_all(pieces, None if visible is None else visible.mask)
            rows = rows[score[rows] > 0]
            if len(pieces) < 2 or not len(rows):
                continue  # one piece: BM25 already ranks by it
            if len(rows) > PHRASE_CANDIDATES:
                rows = rows[np.argsort(-score[rows], kind="stable")[:PHRASE_CANDIDATES]]
            texts = self.catalog.chunks([view.chunk_ids[int(r)] for r in rows])
            wanted = compact(phrase)
            whole = [int(r) for r in rows
                     if (c := texts.get(view.chunk_ids[int(r)])) and wanted in compact(c.indexed_text())]
            held[whole] += 1.0 / len(phrases)
        if held.any():
            score = score + PHRASE_WEIGHT * float(score.max()) * held
        return score


def _count(mask: Any, positions: list[int]) -> int:
    """How many of `positions` pass `mask`."""
    return int(np.count_nonzero(mask[np.asarray(positions, dtype=np.int64)])) if positions else 0


def _with_access(where: dict[str, Any] | None, groups: tuple[str, ...]) -> dict[str, Any]:
    """`where`, further limited to the documents of one of `groups`."""
    any_group = [{"access_groups": {"$contains": g}} for g in groups]
    access = any_group[0] if len(any_group) == 1 else {"$or": any_group}
    return access if where is None else {"$and": [where, access]}


def _chroma_where(filters: Filters, role: str | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if filters.doc_type:
        clauses.append({"doc_type": {"$in": list(legacy_names(filters.doc_type))}})  # chunks stored before
        # schema 2 carry the old names in Chroma (the catalogue's were renamed)
    if filters.municipality:
        clauses.append({"municipality": {"$in": list(filters.municipality)}})
    roles = [role] if role else list(filters.speaker_role)
    if roles:
        clauses.append({"speaker_role": {"$in": roles}})
    if filters.date_from:
        clauses.append({"date_int": {"$gte": int(filters.date_from.replace("-", ""))}})
    if filters.date_to:
        clauses.append({"date_int": {"$lte": int(filters.date_to.replace("-", ""))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
