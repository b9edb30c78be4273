"""Select: the last retrieval stage. The final scores of every chunk (fused, then constrained) become the `k`
hits shown, best first: the best positions (`top_positions`, exact repeats of a text skipped), their chunks read
from the catalogue (a position whose chunk a commit removed a moment ago is skipped), near-duplicates of a better
hit dropped (`drop_near_duplicates`), ranks 1..n and each hit's single scores from its `Candidates`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import numpy as np

from kotae.types import Chunk, Hit
from service.reader.candidates import Candidates, FloatArray
from service.reader.index_view import IndexView

NEAR_DUPLICATE = 0.9  # Jaccard overlap of character 4-grams above which a hit repeats one already shown
OVERFETCH = 3  # positions read per hit asked for, so that dropping near-duplicates still leaves k hits


def select(view: IndexView, score: FloatArray, found: Candidates, chunks: Callable[[list[str]], dict[str, Chunk]],
           k: int) -> list[Hit]:
    """The `k` best hits by `score` (0: not a candidate), best first, ranked from 1. `chunks` reads committed
    chunks by id (the catalogue's `chunks`: ids it does not return are skipped)."""
    positions = top_positions(score, view, k * OVERFETCH)
    read = chunks([view.chunk_ids[p] for p in positions])
    positions = [p for p in positions if view.chunk_ids[p] in read]  # removed by a commit a moment ago
    keep = drop_near_duplicates([read[view.chunk_ids[p]].text for p in positions], k)
    hits: list[Hit] = []
    for pos in (positions[i] for i in keep):
        detail = {"lexical": round(float(found.lexical[pos]), 4)}
        if pos in found.cosine:
            detail["dense"] = round(found.cosine[pos], 4)
        hits.append(Hit(chunk=read[view.chunk_ids[pos]], rank=len(hits) + 1, score=float(score[pos]),
                        scores=detail))
    return hits


def top_positions(score: FloatArray, view: IndexView, n: int) -> list[int]:
    """The `n` best candidates, best first (ties: lower position first), skipping exact repeats of a text
    already taken.

    Only the best few candidates are sorted, not all of them (at a million chunks most chunks share a word with
    the query, and sorting them all took tens of milliseconds); when repeats use up that few, more are taken."""
    candidates = np.flatnonzero(score > 0)
    if n < 1 or not len(candidates):
        return []
    values = score[candidates]
    wanted = 4 * n
    while True:
        if wanted < len(candidates):
            # Every candidate scoring at least the `wanted`-th best, ties included, in position order.
            threshold = np.partition(values, len(values) - wanted)[len(values) - wanted]
            chosen = candidates[values >= threshold]
        else:
            chosen = candidates
        ordered = chosen[np.argsort(-score[chosen], kind="stable")]
        # The first occurrence of each text, in score order.
        _, first = np.unique(view.text_hash_id[ordered], return_index=True)
        taken = ordered[np.sort(first)[:n]]
        if len(taken) == n or len(chosen) == len(candidates):
            return [int(p) for p in taken]
        wanted = 4 * len(chosen)


def shingles(text: str, size: int = 4) -> set[str]:
    """Character n-grams of the text with width folded and blanks removed (what near-duplicates share)."""
    folded = "".join(unicodedata.normalize("NFKC", text).split())
    return {folded[i : i + size] for i in range(max(1, len(folded) - size + 1))}


def drop_near_duplicates(texts: list[str], k: int, threshold: float = NEAR_DUPLICATE) -> list[int]:
    """Indices of the first `k` texts, in order, skipping any whose shingles overlap a kept one's by at least
    `threshold` (Jaccard): the same paragraph in two versions of a notice, or re-typed with other spacing."""
    kept: list[int] = []
    kept_shingles: list[set[str]] = []
    for i, text in enumerate(texts):
        grams = shingles(text)
        if any(len(grams & other) / len(grams | other) >= threshold for other in kept_shingles):
            continue
        kept.append(i)
        kept_shingles.append(grams)
        if len(kept) == k:
            break
    return kept
