"""Run retrieval methods over an evaluation dataset and compute the metrics per method and query form.

A method name is a retrieval method of `service.reader.fuse.METHODS` (`lexical`, `dense`, `hybrid`, `default`),
optionally with `+exec` (only executive turns: "past answers"), or `llamaindex` / `llamaindex-bm25` for the
plain LlamaIndex pipeline with default settings (see `baseline_llamaindex.py`).

Query forms: `query` (the question as given) and `subtopic+query` (what a staff member who knows the topic
types). Gold spans are matched by path suffix, so a store built from the data folder or from a subfolder
of it both work.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from eval.dataset import Question, Span
from eval.metrics import Retrieved, first_relevant_rank, ndcg_at, percentile, recall_at, reciprocal_rank
from kotae.errors import KotaeError
from service.filters import Filters
from service.reader.fuse import METHODS
from service.reader.search import Searcher

SearchFn = Callable[[str, int], list[Retrieved]]
FORMS = ("query", "subtopic+query")
DEFAULT_METHODS = ("lexical+exec", "dense+exec", "hybrid+exec", "default", "default+exec", "llamaindex",
                   "llamaindex-bm25")


@dataclass
class MethodResult:
    """Metrics of one method on one query form, with per-query ranks."""

    method: str
    form: str
    metrics: dict[str, float]
    per_query: list[dict[str, object]] = field(default_factory=list)


def query_text(question: Question, form: str) -> str:
    """The text searched for a question in the given form."""
    return question.query if form == "query" else f"{question.subtopic} {question.query}".strip()


def matches(path: str, gold: str) -> bool:
    """True when a stored source and a gold path name the same file (one is a path suffix of the other)."""
    return path == gold or path.endswith("/" + gold) or gold.endswith("/" + path)


def _relocate(hits: Sequence[Retrieved], gold: Sequence[Span]) -> list[Retrieved]:
    """Hits with their source replaced by the gold path they match, so metric code compares paths exactly."""
    out: list[Retrieved] = []
    for hit in hits:
        same = next((g.path for g in gold if matches(hit.source, g.path)), hit.source)
        out.append(Retrieved(same, hit.start, hit.end))
    return out


def evaluate(questions: Sequence[Question], search: SearchFn, method: str, form: str, k: int = 10) -> MethodResult:
    """Search every question and compute Recall@1/5/10, MRR@10, nDCG@10, strict scores and latency."""
    ranks: list[int | None] = []
    strict_ranks: list[int | None] = []
    ndcgs: list[float] = []
    latencies: list[float] = []
    per_query: list[dict[str, object]] = []
    for q in questions:
        began = time.perf_counter()
        raw = search(query_text(q, form), k)
        latencies.append((time.perf_counter() - began) * 1000)
        hits = _relocate(raw, q.relevant)
        rank = first_relevant_rank(hits, q.relevant)
        ranks.append(rank)
        ndcgs.append(ndcg_at(hits, q.relevant, k))
        strict = None
        if q.answer_passage is not None:
            strict = first_relevant_rank(_relocate(raw, [q.answer_passage]), [q.answer_passage])
            strict_ranks.append(strict)
        per_query.append({"qid": q.qid, "rank": rank, "strict_rank": strict,
                          "top": [f"{h.source}:{h.start}-{h.end}" for h in raw[:3]]})
    metrics = {
        "R@1": _mean(recall_at(r, 1) for r in ranks),
        "R@5": _mean(recall_at(r, 5) for r in ranks),
        "R@10": _mean(recall_at(r, 10) for r in ranks),
        "MRR@10": _mean(reciprocal_rank(r, 10) for r in ranks),
        "nDCG@10": _mean(ndcgs),
        # NaN, not 0, when the dataset gives no answer passages: "not measured" is no failure.
        "strict R@5": _mean(recall_at(r, 5) for r in strict_ranks) if strict_ranks else math.nan,
        "strict MRR@10": _mean(reciprocal_rank(r, 10) for r in strict_ranks) if strict_ranks else math.nan,
        "p50 ms": statistics.median(latencies) if latencies else 0.0,
        "p95 ms": percentile(latencies, 95),
    }
    return MethodResult(method, form, metrics, per_query)


def check_method(method: str) -> None:
    """Raise `KotaeError` naming the method when it is not one `kotae eval` knows."""
    name, _, suffix = method.partition("+")
    if method in ("llamaindex", "llamaindex-bm25"):
        return
    if name not in METHODS or suffix not in ("", "exec"):
        known = ", ".join([*METHODS, *(f"{m}+exec" for m in METHODS), "llamaindex", "llamaindex-bm25"])
        raise KotaeError(f"unknown method {method!r}; choose from {known}")


def searcher_fn(searcher: Searcher, method: str) -> SearchFn:
    """A search function for a Kotae method name (`default`, `lexical+exec`, ...)."""
    name, _, suffix = method.partition("+")
    if suffix not in ("", "exec"):
        raise ValueError(f"unknown method suffix in {method!r}: only '+exec' exists")
    filters = Filters(speaker_role=("executive",)) if suffix == "exec" else Filters()

    def search(text: str, k: int) -> list[Retrieved]:
        return [Retrieved(h.chunk.source, h.chunk.start, h.chunk.end)
                for h in searcher.search(text, k=k, filters=filters, method=name)]

    return search


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return float(statistics.mean(items)) if items else 0.0

