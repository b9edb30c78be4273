"""How well a sentence answers a question: the share of the question's rare words it contains (IDF-weighted,
Sudachi normalised forms, so 表記ゆれ does not matter) and the cosine of the two embeddings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kotae.jtext import SudachiTokenizer
from service.compose.sentences import Candidate

Vectors = npt.NDArray[np.float32]
EmbedFn = Callable[[list[str]], Vectors]

# Words that make a sentence a question, not its topic: a passage does not answer better for containing them.
_QUESTION_WORDS = frozenset((
    "見解", "伺う", "問う", "尋ねる", "考え", "考える", "所見", "認識", "答弁", "質問", "求める", "願う", "如何",
    "いかが", "どう", "どの", "どのよう", "何", "いつ", "どこ", "誰", "なぜ", "様", "よう", "為る", "する", "ある",
    "居る", "いる", "成る", "なる", "れる", "られる", "こと", "もの", "ため", "今後", "取り組み", "取組", "対応",
    "具体", "的", "等",
))


@dataclass(frozen=True)
class QueryTerms:
    """The question's content words with their weight (IDF in the served index)."""

    weights: dict[str, float]

    @classmethod
    def of(cls, tokens: list[str], idf: dict[str, float]) -> QueryTerms:
        """Content words of a tokenised question; `idf` must cover every token."""
        return cls({t: idf[t] for t in dict.fromkeys(tokens) if t not in _QUESTION_WORDS and t in idf})

    def coverage(self, tokens: set[str]) -> float:
        """Weighted share of the question's words found in `tokens` (0 when the question has none)."""
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in tokens) / total


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its relevance to the question."""

    candidate: Candidate
    coverage: float  # weighted share of the question's words in the sentence
    dense: float  # cosine of sentence and question embeddings
    prior: float  # the passage's retrieval score relative to the best hit's, 0..1
    score: float


@dataclass(frozen=True)
class RelevanceWeights:
    """How the three signals add up; measured on the dev set of the real minutes (README)."""

    dense: float = 0.5
    prior: float = 0.3
    member: float = 0.6  # a member's question is no answer: its sentences count this much


def score_candidates(cands: list[Candidate], terms: QueryTerms, question_vector: Vectors, embed: EmbedFn,
                     tokenizer: SudachiTokenizer, weights: RelevanceWeights | None = None) -> list[Scored]:
    """Score every candidate; one embedding call for all sentences."""
    weights = weights or RelevanceWeights()
    if not cands:
        return []
    vectors = _unit(embed([c.display for c in cands]))
    dense = vectors @ _unit(question_vector.reshape(1, -1))[0]
    best_hit = max(c.hit.score for c in cands) or 1.0
    out: list[Scored] = []
    for cand, cosine in zip(cands, dense, strict=True):
        coverage = terms.coverage(set(tokenizer.tokenize(cand.display)))
        prior = max(0.0, cand.hit.score / best_hit)
        score = coverage + weights.dense * float(cosine) + weights.prior * prior
        if cand.chunk.speaker_role == "member":
            score *= weights.member
        out.append(Scored(cand, coverage, float(cosine), prior, score))
    return out


def _unit(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms == 0, 1, norms), dtype=np.float32)
