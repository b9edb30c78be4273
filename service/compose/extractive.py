"""The offline composer: the answer is the source's own sentences that best answer the question, each with
its citation; no model writes anything, so nothing can be made up. When even the best sentence does not
address the question, the answer is an honest refusal with the closest passages.
"""

from __future__ import annotations

from dataclasses import dataclass

from kotae.types import Answer, Citation, Sentence
from service.compose.relevance import Scored
from service.compose.sentences import Candidate, citation
from service.compose.support import containment

REFUSAL = "資料からは回答できません。"
REFUSAL_HINT = "関連しそうな資料を示しますので、原文をご確認ください。"


@dataclass(frozen=True)
class ExtractiveParams:
    """Size of an answer."""

    max_sentences: int = 3
    max_chars: int = 320
    keep_ratio: float = 0.85  # a further sentence must score at least this share of the best one
    near_duplicate: float = 0.6  # character-bigram Jaccard above which two sentences say the same


def compose_extractive(scored: list[Scored], params: ExtractiveParams | None = None) -> Answer:
    """An answer from the best-scoring sentences, in the order of their passages (a refusal when there is no
    quotable sentence). Whether the passages can answer at all is decided before, on their `Evidence`."""
    params = params or ExtractiveParams()
    ranked = sorted(scored, key=lambda s: s.score, reverse=True)
    if not ranked:
        return refusal([])
    chosen = _choose(ranked, params)
    chosen.sort(key=lambda c: (c.hit.rank, c.position))
    sentences: list[Sentence] = []
    citations: list[Citation] = []
    for run in _runs(chosen):
        n = len(citations) + 1
        citations.append(citation(n, run[0].chunk, run[0].start, run[-1].end))
        sentences.extend(Sentence(c.display, (n,)) for c in run)
    return Answer(text=render(sentences), sentences=tuple(sentences), citations=tuple(citations), grounded=True)


def refusal(closest: list[Candidate], limit: int = 3) -> Answer:
    """「資料からは回答できません」 with the best sentence of each of the nearest passages (no guess)."""
    seen: set[str] = set()
    picked: list[Candidate] = []
    for cand in closest:
        if cand.chunk.chunk_id not in seen and len(picked) < limit:
            seen.add(cand.chunk.chunk_id)
            picked.append(cand)
    cites = tuple(citation(i, c.chunk, c.start, c.end) for i, c in enumerate(picked, start=1))
    text = REFUSAL + (REFUSAL_HINT if cites else "")
    return Answer(text=text, sentences=(), citations=(), grounded=False, closest=cites)


def render(sentences: list[Sentence]) -> str:
    """Answer text: each sentence followed by its citation marks, 「…。[1]」."""
    return "".join(s.text + "".join(f"[{n}]" for n in s.citations) for s in sentences)


def _choose(ranked: list[Scored], params: ExtractiveParams) -> list[Candidate]:
    best = ranked[0].score
    chosen: list[Candidate] = []
    chars = 0
    for s in ranked:
        if len(chosen) >= params.max_sentences or s.score < params.keep_ratio * best:
            break
        text = s.candidate.display
        if chosen and chars + len(text) > params.max_chars:
            continue
        if any(same_statement(text, c.display, params.near_duplicate) for c in chosen):
            continue
        chosen.append(s.candidate)
        chars += len(text)
    return chosen


def _runs(chosen: list[Candidate]) -> list[list[Candidate]]:
    """Consecutive sentences of one passage share one citation."""
    runs: list[list[Candidate]] = []
    for cand in chosen:
        last = runs[-1][-1] if runs else None
        if last is not None and last.chunk.chunk_id == cand.chunk.chunk_id and cand.position == last.position + 1:
            runs[-1].append(cand)
        else:
            runs.append([cand])
    return runs


def same_statement(a: str, b: str, threshold: float = 0.6) -> bool:
    """True when two sentences say the same: near-identical wording, or the shorter one's wording (figures
    aside, so 「12手続」 and 「十二の手続」 agree) lies almost whole inside the longer one."""
    short, long = sorted((a, b), key=len)
    return bigram_jaccard(a, b) >= threshold or containment(short, long) >= 0.75


def bigrams(text: str) -> set[str]:
    """Character bigrams, blanks ignored."""
    compact = "".join(text.split())
    return {compact[i:i + 2] for i in range(len(compact) - 1)}


def bigram_jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' character bigrams."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0
