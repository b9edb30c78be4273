"""Hybrid, turn-aware ranking: lexical (BM25) and dense scores fused on one normalised scale, plus the
evidence of the member's question that an executive answer responds to.

Why the question: a staff member's query paraphrases what was *asked*; the asking member's own turn matches
it best, while the answer that follows uses other words. Why scores and not ranks: reciprocal-rank fusion
makes ranks 1 and 20 nearly equal (1/61 vs 1/80), which buried the difference between the question that
matches and the next one, and let unrelated passages of a small store score like the best match.
Measured on the Tokyo 2020 dev set (README, *Retrieval quality*).

    direct(c) = bm25(c) / max bm25  +  dense_weight * (cos(c) - lo) / (hi - lo)     (0 when not a candidate)
    unit(c)   = direct score of c's unit / best unit's: the member's question an answer responds to, or the
                passage itself when it answers no question (guidelines, FAQ, speeches)
    score(c)  = direct(c) + question_weight * unit(c)                                over chunks passing filters

`lo`/`hi` are the lowest and highest cosine among the dense candidates; maxima are taken over the chunks the
query may see (its filters, plus the members' questions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.reader.candidates import FloatArray as FloatArray
from service.reader.index_view import BoolArray, IndexView

# The select stage's functions lived here; still importable from here.
from service.reader.select import NEAR_DUPLICATE as NEAR_DUPLICATE
from service.reader.select import drop_near_duplicates as drop_near_duplicates
from service.reader.select import shingles as shingles
from service.reader.select import top_positions as top_positions

MEMBER_SHARE = 0.5  # of its own turn's unit score a member's question chunk gets


@dataclass(frozen=True)
class RetrievalParams:
    """Weights and depths, chosen on the dev set (see README); `method` switches parts off for comparison."""

    dense_weight: float = 0.5
    question_weight: float = 2.0
    depth: int = 200  # dense candidates per group (one unfiltered query fetches 5x this)
    use_lexical: bool = True
    use_dense: bool = True
    use_questions: bool = True


METHODS: dict[str, RetrievalParams] = {
    "default": RetrievalParams(),
    "hybrid": RetrievalParams(use_questions=False),
    "lexical": RetrievalParams(use_dense=False, use_questions=False),
    "dense": RetrievalParams(use_lexical=False, use_questions=False),
}


def direct_scores(lexical: FloatArray, cosine: dict[int, float], visible: BoolArray,
                  p: RetrievalParams) -> FloatArray:
    """Normalised lexical plus weighted normalised dense score of every chunk in `visible` (0 elsewhere)."""
    score = np.zeros(len(lexical))
    if p.use_lexical and visible.any():
        top = float(np.max(lexical, where=visible, initial=-np.inf))
        if top > 0:
            np.divide(lexical, top, out=score, where=visible)
    if p.use_dense and cosine:
        positions = np.fromiter(cosine.keys(), dtype=np.int64)
        values = np.fromiter(cosine.values(), dtype=np.float64)
        hi, lo = float(values.max()), float(values.min())
        if hi > lo:
            weight = p.dense_weight if p.use_lexical else 1.0
            seen = visible[positions]
            # Only the dense candidates change: a few thousand positions, not every chunk.
            score[positions[seen]] += weight * ((values[seen] - lo) / (hi - lo))
    return score


def unit_bonus(view: IndexView, target: FloatArray, questions: FloatArray) -> FloatArray:
    """Each chunk's unit score relative to the best unit (0..1).

    A unit is a member's question turn, standing for the executive answers that follow it (its score: its best
    chunk's), or a passage that answers no question (its own score). An answer chunk gets its question's unit
    score and a standalone passage its own; a member's chunk gets half of its turn's, so that the question
    stays above unrelated passages but below the answers to it.
    """
    n = len(target)
    turn_score = np.zeros(view.n_turns)
    asked = np.flatnonzero(questions > 0)
    asked = asked[view.turn_of[asked] >= 0]
    np.maximum.at(turn_score, view.turn_of[asked], questions[asked])
    standalone = (target > 0) & view.may_stand_alone
    best = max(float(turn_score.max(initial=0.0)), float(np.max(target, where=standalone, initial=0.0)))
    if best <= 0:
        return np.zeros(n)
    turn_unit = turn_score / best
    bonus = np.zeros(n)
    answers = view.answer_positions
    bonus[answers] = turn_unit[view.question_turn_of[answers]]
    np.divide(target, best, out=bonus, where=standalone)
    asking = view.asking_positions
    bonus[asking] = MEMBER_SHARE * turn_unit[view.turn_of[asking]]
    return bonus


def rank(view: IndexView, lexical: FloatArray, cosine: dict[int, float], target_mask: BoolArray,
         question_mask: BoolArray, p: RetrievalParams) -> FloatArray:
    """Final score of every chunk (0 = not a candidate); see the module docstring."""
    visible = target_mask | question_mask if p.use_questions else target_mask
    direct = direct_scores(lexical, cosine, visible, p)
    everything = bool(target_mask.all())  # no filter: skip the copies that would change nothing
    target = direct if everything else np.where(target_mask, direct, 0.0)
    if not p.use_questions:
        return target
    questions = np.where(question_mask, direct, 0.0)
    score = unit_bonus(view, target, questions)
    score *= p.question_weight
    score += target
    if not everything:
        score *= target_mask
    return score
