"""How well a sentence answers a question: the share of the question's rare words it contains (IDF-weighted,
Sudachi normalised forms, so 表記ゆれ does not matter) and the cosine of the two embeddings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kotae.embedders import normalise_rows
from kotae.jtext import SudachiTokenizer, normalize
from service.compose.sentences import Candidate

Vectors = npt.NDArray[np.float32]
EmbedFn = Callable[[list[str]], Vectors]

# Words that make a sentence a question, not its topic: a passage does not answer better for containing them.
# They carry no claim either, so a generated sentence may use them without a source (`support.py`).
QUESTION_WORDS = frozenset((
    "見解", "伺う", "問う", "尋ねる", "考え", "考える", "所見", "認識", "答弁", "質問", "求める", "願う", "如何",
    "いかが", "どう", "どの", "どのよう", "何", "いつ", "どこ", "誰", "なぜ", "様", "よう", "為る", "する", "ある",
    "居る", "いる", "成る", "なる", "れる", "られる", "こと", "もの", "ため", "今後", "取り組み", "取組", "対応",
    "具体", "的", "等", "程度", "幾ら", "いくら", "幾つ", "どれ", "どちら", "どんな", "どのような", "如何なる", "何人",
))
# Words any answer may use without a source: the question words, and the set phrases of 答弁.
GENERIC_WORDS = QUESTION_WORDS | frozenset((
    "本", "市", "都", "町", "村", "区", "当", "現在", "おる", "居る", "参る", "まいる", "致す", "いたす",
    "です", "ます", "ござる", "御座る", "考える", "努める", "図る", "進める", "行う", "取り組む", "思う",
    "以下", "上記", "これ", "それ", "この", "その", "また", "なお", "さらに", "更に", "及び", "並びに", "又",
    "こと", "など", "有る", "必要", "出来る", "可能", "場合", "為", "通り", "下さる", "頂く", "因る", "言う", "置く",
))


@dataclass(frozen=True)
class QueryTerms:
    """The question's content words with their weight (IDF in the served index), and those the index lacks."""

    weights: dict[str, float]
    unknown: frozenset[str] = frozenset()

    @classmethod
    def of(cls, tokens: list[str], idf: dict[str, float], unknown: set[str] | None = None) -> QueryTerms:
        """Content words of a tokenised question; `idf` must cover every token."""
        weights = {t: idf[t] for t in dict.fromkeys(tokens) if t not in QUESTION_WORDS and t in idf}
        return cls(weights, frozenset(unknown or set()) & frozenset(weights))

    def coverage(self, tokens: set[str]) -> float:
        """Weighted share of the question's words found in `tokens` (0 when the question has none)."""
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        return sum(w for t, w in self.weights.items() if t in tokens) / total


@dataclass(frozen=True)
class Evidence:
    """Whether the passages found can answer the question at all, before any sentence is picked."""

    coverage: float  # weighted share of the question's words the passages hold between them
    unknown: float  # weighted share of its words the whole index lacks (a topic the documents never name)


@dataclass(frozen=True)
class EvidenceParams:
    """When to refuse: measured on the dev questions against questions the documents cannot answer
    (`python -m eval.refusal_sweep`, README)."""

    min_coverage: float = 0.6
    max_unknown: float = 0.1

    def enough(self, found: Evidence) -> bool:
        """Whether the passages can answer: they hold most of the question's words, and the index knows them."""
        return found.coverage >= self.min_coverage and found.unknown < self.max_unknown


def evidence(terms: QueryTerms, passages: list[str], tokenizer: SudachiTokenizer) -> Evidence:
    """How much of the question the passages cover together, and how much of it the index has never seen.

    A word also counts as present when it occurs inside a longer word of the passages (「策」 in 「対策」,
    「扱い」 in 「取扱い」): Sudachi keeps compounds whole, and a small index lacks many plain words as tokens.
    """
    held: set[str] = set()
    for text in passages:
        held.update(tokenizer.tokenize(text))
    flat = normalize("".join(passages))
    held.update(t for t in terms.weights if t not in held and t in flat)
    total = sum(terms.weights.values())
    unknown = sum(terms.weights[t] for t in terms.unknown if t not in held) / total if total > 0 else 0.0
    return Evidence(terms.coverage(held), unknown)


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
    """How the three signals add up. The passage's retrieval score weighs most: turn-aware retrieval finds the
    answer turn better than sentence scoring does (citation precision 0.56 at prior 0.3, 0.68 at 2.0 on the
    dev set; README)."""

    dense: float = 0.5
    prior: float = 2.0
    member: float = 0.6  # a member's question is no answer: its sentences count this much


def score_candidates(cands: list[Candidate], terms: QueryTerms, question_vector: Vectors, embed: EmbedFn,
                     tokenizer: SudachiTokenizer, weights: RelevanceWeights | None = None) -> list[Scored]:
    """Score every candidate; one embedding call for all sentences."""
    weights = weights or RelevanceWeights()
    if not cands:
        return []
    vectors = normalise_rows(embed([c.display for c in cands]))
    dense = vectors @ normalise_rows(question_vector)[0]
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

