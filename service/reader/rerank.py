"""Rerank: between select and extract, for a question that wants a fact. Retrieval ranks a passage by all the
question's words and its meaning; a fact question's answer must hold what it asks about, so the passages holding
the rarest of its focus terms whole (夕食代 in 「政務活動で泊まったときの夕食代って政務活動費から出していい？」,
where every passage of the manual holds 政務活動費) come first among the ones found.
"""

from __future__ import annotations

from dataclasses import replace

from kotae.jtext import SudachiTokenizer
from kotae.types import Hit
from service.reader.analysis import Analysis, alternatives, compact

FOCUS_WEIGHT = 1.0  # a passage holding all of the focus gains this much over its retrieval score (best = 1)


def by_focus(hits: list[Hit], analysis: Analysis, weights: dict[str, float], tokenizer: SudachiTokenizer,
             k: int) -> list[Hit]:
    """The `k` best of `hits` by retrieval score (relative to the best) plus `FOCUS_WEIGHT` times the share of
    the focus a passage (with its title) holds whole, each term weighing its rarest word's IDF; ranks renumbered."""
    if not hits or not analysis.focus:
        return hits[:k]
    rarity = {term: max((weights.get(t, 0.0) for t in tokenizer.tokenize(term)), default=0.0) or 1.0
              for term in analysis.focus}
    total = sum(rarity.values())
    best = max(h.score for h in hits) or 1.0

    def held(hit: Hit) -> float:
        flat = compact(hit.chunk.title + "\n" + hit.chunk.text)
        return sum(w for term, w in rarity.items()
                   if any(compact(word) in flat for word in (term, *alternatives(term)))) / total

    ranked = sorted(hits, key=lambda h: h.score / best + FOCUS_WEIGHT * held(h), reverse=True)[:k]
    return [replace(h, rank=i) for i, h in enumerate(ranked, start=1)]
