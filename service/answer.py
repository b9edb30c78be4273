"""Ask: the question analysed once (`Searcher.query`) -> its passages (search) -> a composer -> a cited `Answer`.
The route and the CLI call this.

Composers: `extractive` (offline, the default: the sources' own sentences) and `llm` (a configured
OpenAI-compatible model, each sentence of its reply checked against the passages it cites). The extractive
composer reads the passages with one of two `EXTRACTIONS`: `facts` (the default: sentences scored by their own
evidence for what was asked, `service/reader/extract.py`, composed by `compose/facts.py`) or `relevance` (the
previous composer: sentences scored by the passage's rank and the share of question words), kept for
comparison in `kotae eval --extraction`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kotae.types import COMPOSERS, Answer, Hit
from service.compose.extractive import ExtractiveParams, compose_extractive, refusal
from service.compose.facts import FactParams, compose_facts
from service.compose.guard import check_question
from service.compose.llm import compose_llm
from service.compose.relevance import (
    EvidenceParams,
    QueryTerms,
    RelevanceWeights,
    Scored,
    evidence,
    score_candidates,
)
from service.compose.sentences import candidates, introduces_list, starts_mid_sentence
from service.compose.support import SupportChecker, SupportParams
from service.filters import Filters
from service.generators import Generators
from service.reader.analysis import Analysis
from service.reader.extract import Extraction, ExtractParams, extract
from service.reader.query import Query
from service.reader.rerank import by_focus
from service.reader.search import Searcher

EXTRACTIONS = ("facts", "relevance")


@dataclass(frozen=True)
class AnswerParams:
    """How many passages an answer is composed from, and the composers' own parameters."""

    passages: int = 5  # the `relevance` extraction's, the drafts' and the llm composer's
    fact_passages: int = 15  # the `facts` extraction reads further down the ranking
    rerank_depth: int = 40  # ... chosen, for a question wanting a fact, from this many by the focus they hold
    extraction: str = "facts"
    evidence: EvidenceParams = field(default_factory=EvidenceParams)
    relevance: RelevanceWeights = field(default_factory=RelevanceWeights)
    extractive: ExtractiveParams = field(default_factory=ExtractiveParams)
    extract: ExtractParams = field(default_factory=ExtractParams)
    facts: FactParams = field(default_factory=FactParams)
    support: SupportParams = field(default_factory=SupportParams)


class Answerer:
    """Answers questions from one searcher's index; safe to share between threads like the searcher."""

    def __init__(self, searcher: Searcher, generators: Generators | None = None,
                 params: AnswerParams | None = None) -> None:
        self.searcher = searcher
        self.generators = generators or Generators(searcher.settings)
        self.params = params or AnswerParams()
        if self.params.extraction not in EXTRACTIONS:
            raise ValueError(f"unknown extraction {self.params.extraction!r}; choose one of {', '.join(EXTRACTIONS)}")
        self.checker = SupportChecker(searcher.embedder.embed_passages, searcher.tokenizer, self.params.support)

    def ask(self, question: str, filters: Filters | None = None, composer: str = "extractive",
            model: str | None = None) -> Answer:
        """A cited answer to `question` from the passages passing `filters`, or a refusal.

        Raises `ValueError` for an empty question or unknown composer, `PolicyError`/`ModelChoiceError` for a
        model that is denied or not configured, `GeneratorError`/`GeneratorTimeout` when the model fails.
        """
        question = question.strip()
        if not question:
            raise ValueError("question is empty")
        if composer not in COMPOSERS:
            raise ValueError(f"unknown composer {composer!r}; choose one of {', '.join(COMPOSERS)}")
        generator = self.generators.get(model) if composer == "llm" else None  # refuse before searching
        searched = question
        if generator is not None:
            searched = check_question(question, self.searcher.settings.guard)
        query = self.query(searched, filters)
        if generator is None and self.params.extraction == "facts":
            return compose_facts(self.read(query, filters), self.params.facts)
        hits = self.passages(query, filters)
        if not self.can_answer(query.terms, hits):
            answer = refusal(candidates(hits))
            return replace(answer, model=generator.name) if generator is not None else answer
        if generator is not None:
            return compose_llm(question, hits, generator, self.checker, self.searcher.settings.guard)
        return compose_extractive(self.score(query, hits), self.params.extractive)

    def query(self, question: str, filters: Filters | None = None) -> Query:
        """The question analysed once, with the statistics of the documents the user may see."""
        return self.searcher.query(question, filters.access_groups if filters else None)

    def read(self, query: Query, filters: Filters | None = None) -> list[tuple[Analysis, Extraction]]:
        """Each ask of the question with the extraction of its passages (one ask unless the question has
        several: 「いつから始まり、所要時間はどれくらい短くなった？」)."""
        asks = query.analysis.parts or (query.analysis,)
        out: list[tuple[Analysis, Extraction]] = []
        for ask in asks:
            asked = self.focused(query, ask) if len(asks) == 1 else replace(
                self.query(" ".join([*ask.focus, ask.text]), filters), analysis=ask)
            hits = self.continued(self.found(asked, ask, filters), ask)
            out.append((ask, extract(ask, hits, asked.terms, self.searcher.tokenizer, self.searcher.place_of,
                                     self.params.extract)))
        return out

    def found(self, query: Query, ask: Analysis, filters: Filters | None = None) -> list[Hit]:
        """The passages the `facts` extraction reads for `ask`: for a question wanting a fact, the best of a
        deeper search reranked by the focus they hold (`reader/rerank.py`); else the search's own best."""
        if not ask.wants_fact:
            return self.passages(query, filters, k=self.params.fact_passages)
        deeper = self.passages(query, filters, k=self.params.rerank_depth)
        return by_focus(deeper, ask, query.terms.weights, self.searcher.tokenizer, self.params.fact_passages)

    def focused(self, query: Query, ask: Analysis) -> Query:
        """`query` with the words of its focus counted once more by lexical search when it asks for a fact: what
        the question is about weighs more than how it is asked (「コンビニで証明書を取れるのは何時まで？」)."""
        if not ask.wants_fact:  # an open question (方針, 取組) is found best as asked: turn-aware ranking
            return query
        words = [t for term in ask.focus for t in self.searcher.tokenizer.tokenize(term)]
        return replace(query, search_tokens=(*query.search_tokens, *words))

    def continued(self, hits: list[Hit], ask: Analysis, depth: int = 8) -> list[Hit]:
        """`hits`, and after them the chunk before each of the first `depth` that begins mid-sentence (「よりも…」),
        and the next chunk of each that holds the focus and ends in an unfinished sentence (「本市の令和８年度一般会計
        予算につきましては、…」 goes on in the next chunk) or in one introducing a list (「次に掲げる情報を入力しては
        ならない。」: the items are there)."""
        have = {(h.chunk.source, h.chunk.ordinal) for h in hits}
        extra: list[Hit] = []
        for hit in hits[:depth]:
            chunk = hit.chunk
            if chunk.ordinal > 0 and (chunk.source, chunk.ordinal - 1) not in have and \
                    starts_mid_sentence(chunk.text):  # 「よりも保険料率の高い…」: its start is in the chunk before
                previous = self.searcher.catalog.chunk_at(chunk.source, chunk.ordinal - 1)
                if previous is not None:
                    have.add((chunk.source, chunk.ordinal - 1))
                    extra.append(Hit(previous, len(hits) + len(extra) + 1, hit.score * 0.9, {"begins": hit.rank}))
            tail = chunk.text.rstrip()
            ended = tail.endswith(("。", "」", "）", ")")) and not introduces_list(tail.rsplit("\n", 1)[-1])
            if (chunk.source, chunk.ordinal + 1) in have or ended:
                continue
            if ask.focus and not any(term in tail[-300:] for term in ask.focus):
                continue
            following = self.searcher.catalog.chunk_at(chunk.source, chunk.ordinal + 1)
            if following is not None:
                have.add((chunk.source, chunk.ordinal + 1))
                extra.append(Hit(following, len(hits) + len(extra) + 1, hit.score * 0.9, {"continues": hit.rank}))
        return hits + extra

    def terms(self, question: str, access_groups: tuple[str, ...] | None = None) -> QueryTerms:
        """The question's content words weighted by rarity among the documents `access_groups` may see."""
        return self.searcher.terms(question, access_groups)

    def can_answer(self, terms: QueryTerms, hits: list[Hit]) -> bool:
        """Whether `hits` hold enough of the question to answer it (no passages never do)."""
        found = evidence(terms, [h.chunk.text for h in hits], self.searcher.tokenizer)
        return bool(hits) and self.params.evidence.enough(found)

    def passages(self, question: str | Query, filters: Filters | None = None, k: int | None = None) -> list[Hit]:
        """The passages an answer is composed from, best first."""
        return self.searcher.search(question, k=k or self.params.passages, filters=filters)

    def score(self, question: str | Query, hits: list[Hit], terms: QueryTerms | None = None) -> list[Scored]:
        """Every quotable sentence of `hits` scored against the question (the `relevance` extraction)."""
        query = question if isinstance(question, Query) else self.searcher.query(question)
        return score_candidates(candidates(hits), terms or query.terms, query.vector,
                                self.searcher.embedder.embed_passages, self.searcher.tokenizer, self.params.relevance)
