"""Ranking metrics with span-overlap relevance: a hit is relevant when it comes from the gold file and its
[start, end) overlaps a gold span."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from eval.dataset import Span


@dataclass(frozen=True)
class Retrieved:
    """The part of a hit the metrics need."""

    source: str
    start: int
    end: int


def is_relevant(hit: Retrieved, gold: Sequence[Span]) -> bool:
    """True when `hit` overlaps any gold span of the same file."""
    return any(hit.source == g.path and hit.start < g.end and g.start < hit.end for g in gold)


def first_relevant_rank(hits: Sequence[Retrieved], gold: Sequence[Span]) -> int | None:
    """1-based rank of the first relevant hit, or None."""
    for rank, hit in enumerate(hits, start=1):
        if is_relevant(hit, gold):
            return rank
    return None


def recall_at(rank: int | None, k: int) -> float:
    """1.0 when the first relevant hit is within the top `k`."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None, k: int = 10) -> float:
    """1/rank within the top `k`, else 0 (MRR@k when averaged)."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at(hits: Sequence[Retrieved], gold: Sequence[Span], k: int = 10) -> float:
    """nDCG@k with binary gains, each gold span earning its gain once (several chunks of one answer turn
    overlap the same span); the ideal ranking finds one span per rank.

    A hit earns its gain when it can be paired with a gold span of its own. Hits are paired in rank order, and an
    earlier hit may move to another span it overlaps to make room (an augmenting path), so a chunk overlapping
    two spans does not use up the one a later chunk needs, whatever order the gold spans are listed in.
    """
    overlaps = [[j for j, g in enumerate(gold) if is_relevant(hit, [g])] for hit in hits[:k]]
    owner: dict[int, int] = {}  # gold span -> the hit paired with it

    def pair(i: int, seen: set[int]) -> bool:
        for j in overlaps[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or pair(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    dcg = 0.0
    for i in range(len(overlaps)):
        if pair(i, set()):
            dcg += 1.0 / math.log2(i + 2)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0.0 for no values): the latency figures of the evaluation and benchmarks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]
