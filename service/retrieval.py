"""Hybrid, turn-aware ranking: lexical (BM25) and dense candidates fused by reciprocal rank, plus the evidence
of the member's question that an executive answer responds to.

Why the question: a staff member's query paraphrases what was *asked*; the asking member's own turn matches
it best, while the answer that follows uses other words. On the Tokyo 2020 dev set, lifting each answer by
how well its question matches raised executive-filtered Recall@5 from 0.76 to 0.88 (README, *Retrieval*).

    direct(c)   = RRF_lexical(c) + dense_weight * RRF_dense(c)             over chunks passing the filters
    question(t) = best direct-style score of member turn t, as an RRF rank over member turns
    score(c)    = direct(c) + question_weight * question(turn answered by c)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.index_view import BoolArray, IndexView

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RetrievalParams:
    """Weights and depths, chosen on the dev set (see README); `method` switches parts off for comparison."""

    dense_weight: float = 0.5
    question_weight: float = 3.0
    rrf_k: int = 60
    depth: int = 200
    use_lexical: bool = True
    use_dense: bool = True
    use_questions: bool = True


METHODS: dict[str, RetrievalParams] = {
    "default": RetrievalParams(),
    "hybrid": RetrievalParams(use_questions=False),
    "lexical": RetrievalParams(use_dense=False, use_questions=False),
    "dense": RetrievalParams(use_lexical=False, use_questions=False),
}


def rrf_from_scores(scores: FloatArray, mask: BoolArray, depth: int, k: int) -> FloatArray:
    """1/(k + rank) for the `depth` best positive scores among `mask`, 0 elsewhere."""
    out = np.zeros(len(scores))
    masked = np.where(mask & (scores > 0), scores, -np.inf)
    n = min(depth, int(np.isfinite(masked).sum()))
    if n == 0:
        return out
    top = np.argpartition(-masked, n - 1)[:n]
    top = top[np.argsort(-masked[top], kind="stable")]
    out[top] = 1.0 / (k + np.arange(1, n + 1))
    return out


def rrf_from_ranking(positions: list[int], mask: BoolArray, size: int, depth: int, k: int) -> FloatArray:
    """1/(k + rank) for an already ranked list of positions (dense hits), keeping those in `mask`."""
    out = np.zeros(size)
    rank = 0
    for pos in positions:
        if mask[pos] and out[pos] == 0:
            rank += 1
            out[pos] = 1.0 / (k + rank)
            if rank >= depth:
                break
    return out


def direct_scores(lexical: FloatArray, dense: list[int], mask: BoolArray, p: RetrievalParams) -> FloatArray:
    """Fused chunk-level score of every chunk in `mask`."""
    score = np.zeros(len(lexical))
    if p.use_lexical:
        score += rrf_from_scores(lexical, mask, p.depth, p.rrf_k)
    if p.use_dense:
        weight = p.dense_weight if p.use_lexical else 1.0
        score += weight * rrf_from_ranking(dense, mask, len(lexical), p.depth, p.rrf_k)
    return score


def question_bonus(view: IndexView, question_chunk_scores: FloatArray, p: RetrievalParams) -> FloatArray:
    """For each executive chunk, the RRF rank score of the member turn it answers (0 when none matched)."""
    n_turns = int(view.turn_of.max()) + 1 if len(view.turn_of) else 0
    if n_turns == 0:
        return np.zeros(len(question_chunk_scores))
    turn_score = np.zeros(n_turns)
    scored = (question_chunk_scores > 0) & (view.turn_of >= 0)
    np.maximum.at(turn_score, view.turn_of[scored], question_chunk_scores[scored])
    turn_rrf = rrf_from_scores(turn_score, np.ones(n_turns, dtype=bool), p.depth, p.rrf_k)
    bonus = np.zeros(len(question_chunk_scores))
    answers = view.question_turn_of >= 0
    bonus[answers] = turn_rrf[view.question_turn_of[answers]]
    return bonus


def rank(view: IndexView, lexical: FloatArray, dense_targets: list[int], dense_questions: list[int],
         target_mask: BoolArray, question_mask: BoolArray, p: RetrievalParams) -> FloatArray:
    """Final score of every chunk (0 = not a candidate); see the module docstring."""
    score = direct_scores(lexical, dense_targets, target_mask, p)
    if p.use_questions and question_mask.any():
        questions = direct_scores(lexical, dense_questions, question_mask, p)
        score += p.question_weight * question_bonus(view, questions, p) * target_mask
    return score


def top_positions(score: FloatArray, view: IndexView, k: int) -> list[int]:
    """The `k` best candidates, best first, skipping exact repeats of a text already taken."""
    candidates = np.nonzero(score > 0)[0]
    ordered = candidates[np.argsort(-score[candidates], kind="stable")]
    taken: list[int] = []
    seen: set[str] = set()
    for pos in ordered:
        text_hash = view.text_hash[pos]
        if text_hash in seen:
            continue
        seen.add(text_hash)
        taken.append(int(pos))
        if len(taken) == k:
            break
    return taken
