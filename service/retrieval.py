"""Hybrid, turn-aware ranking: lexical (BM25) and dense candidates fused by reciprocal rank, plus the evidence
of the member's question that an executive answer responds to.

Why the question: a staff member's query paraphrases what was *asked*; the asking member's own turn matches
it best, while the answer that follows uses other words. On the Tokyo 2020 dev set, lifting each answer by
how well its question matches raised executive-filtered Recall@5 from 0.76 to 0.88 (README, *Retrieval*).

    direct(c) = RRF_lexical(c) + dense_weight * RRF_dense(c)        over chunks passing the filters
    unit(c)   = RRF rank of c's unit among all units (see `unit_bonus`): the member's question an answer
                responds to, or the passage itself when it answers no question (guidelines, FAQ, speeches)
    score(c)  = direct(c) + question_weight * unit(c)

Ranking question turns and standalone passages on one scale keeps a guideline paragraph that matches as well
as a member's question competitive with the answers to that question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.index_view import ROLE_CODES, BoolArray, IndexView

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RetrievalParams:
    """Weights and depths, chosen on the dev set (see README); `method` switches parts off for comparison."""

    dense_weight: float = 0.5
    question_weight: float = 3.0
    unit_floor: float = 0.5  # a unit takes part when it scores at least this share of the best unit
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


def unit_bonus(view: IndexView, target: FloatArray, questions: FloatArray, p: RetrievalParams) -> FloatArray:
    """The RRF rank score of the unit each chunk belongs to, units ranked on one scale.

    A unit is either a member's question turn, standing for the executive answers that follow it (its score:
    its best chunk's), or a passage that answers no question (a guideline paragraph, an FAQ entry, a speech):
    its score is its own. An answer chunk gets its question's unit rank; a standalone passage its own; a
    member's chunk none, so that an answer outranks the question it answers.
    """
    n = len(target)
    n_turns = int(view.turn_of.max()) + 1 if n and view.turn_of.max() >= 0 else 0
    turn_score = np.zeros(n_turns)
    asked = (questions > 0) & (view.turn_of >= 0)
    np.maximum.at(turn_score, view.turn_of[asked], questions[asked])
    standalone = (target > 0) & (view.question_turn_of < 0) & (view.role != ROLE_CODES["member"])
    unit_score = np.concatenate([turn_score, np.where(standalone, target, 0.0)])
    # Only units that match comparably to the best one take part: dense ranking has no floor, so without this
    # every passage of a small store became a unit and outranked the member's question that matched best.
    matching = unit_score >= p.unit_floor * unit_score.max() if len(unit_score) else unit_score > 0
    unit_rrf = rrf_from_scores(unit_score, matching, p.depth, p.rrf_k)
    bonus = np.zeros(n)
    answers = view.question_turn_of >= 0
    bonus[answers] = unit_rrf[view.question_turn_of[answers]]
    bonus[standalone] = unit_rrf[n_turns + np.nonzero(standalone)[0]]
    return bonus


def rank(view: IndexView, lexical: FloatArray, dense_targets: list[int], dense_questions: list[int],
         target_mask: BoolArray, question_mask: BoolArray, p: RetrievalParams) -> FloatArray:
    """Final score of every chunk (0 = not a candidate); see the module docstring."""
    score = direct_scores(lexical, dense_targets, target_mask, p)
    if p.use_questions:
        questions = direct_scores(lexical, dense_questions, question_mask, p)
        score = score + p.question_weight * unit_bonus(view, score, questions, p) * target_mask
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
