"""Ask: the question's passages (search) -> a composer -> a cited `Answer`. The route and the CLI call this.

Composers: `extractive` (offline, the default: the sources' own sentences) and `llm` (a configured
OpenAI-compatible model, each sentence of its reply checked against the passages it cites).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from kotae.types import Answer, Hit
from service.compose.extractive import ExtractiveParams, compose_extractive, refusal
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
from service.compose.sentences import candidates
from service.compose.support import SupportChecker, SupportParams
from service.filters import Filters
from service.generators import Generators
from service.search import Searcher

COMPOSERS = ("extractive", "llm")


@dataclass(frozen=True)
class AnswerParams:
    """How many passages an answer is composed from, and the composers' own parameters."""

    passages: int = 5
    evidence: EvidenceParams = field(default_factory=EvidenceParams)
    relevance: RelevanceWeights = field(default_factory=RelevanceWeights)
    extractive: ExtractiveParams = field(default_factory=ExtractiveParams)
    support: SupportParams = field(default_factory=SupportParams)


class Answerer:
    """Answers questions from one searcher's index; safe to share between threads like the searcher."""

    def __init__(self, searcher: Searcher, generators: Generators | None = None,
                 params: AnswerParams | None = None) -> None:
        self.searcher = searcher
        self.generators = generators or Generators(searcher.settings)
        self.params = params or AnswerParams()
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
        hits = self.passages(searched, filters)
        terms = self.terms(searched, filters.access_groups if filters else None)
        if not self.can_answer(terms, hits):
            answer = refusal(candidates(hits))
            return replace(answer, model=generator.name) if generator is not None else answer
        if generator is not None:
            return compose_llm(question, hits, generator, self.checker, self.searcher.settings.guard)
        return compose_extractive(self.score(question, hits, terms), self.params.extractive)

    def terms(self, question: str, access_groups: tuple[str, ...] | None = None) -> QueryTerms:
        """The question's content words weighted by rarity among the documents `access_groups` may see."""
        tokens, idf, unknown = self.searcher.term_weights(question, access_groups)
        return QueryTerms.of(tokens, idf, unknown)

    def can_answer(self, terms: QueryTerms, hits: list[Hit]) -> bool:
        """Whether `hits` hold enough of the question to answer it (no passages never do)."""
        found = evidence(terms, [h.chunk.text for h in hits], self.searcher.tokenizer)
        return bool(hits) and self.params.evidence.enough(found)

    def passages(self, question: str, filters: Filters | None = None, k: int | None = None) -> list[Hit]:
        """The passages an answer is composed from, best first."""
        return self.searcher.search(question, k=k or self.params.passages, filters=filters)

    def score(self, question: str, hits: list[Hit], terms: QueryTerms) -> list[Scored]:
        """Every quotable sentence of `hits` scored against the question."""
        question_vector = self.searcher.embedder.embed_queries([question])[0]
        return score_candidates(candidates(hits), terms, question_vector,
                                self.searcher.embedder.embed_passages, self.searcher.tokenizer, self.params.relevance)
