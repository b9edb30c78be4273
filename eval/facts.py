"""`kotae eval --facts FILE`: do answers state what was asked? Questions typed the way staff type them, each
with the gold fact(s) an answer must state (format: `eval/FACTS.md`), asked with each extraction
(`service.answer.EXTRACTIONS`: the new `facts` beside the previous `relevance`).

Per extraction: the share of answerable asks whose fact the answer states, states within its first 150
characters, and states inside a citation's quote; false refusals; refusals of unanswerable questions (topic
absent / near miss: the topic is there but not the figure asked); the median answer length; latency.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eval.metrics import percentile
from kotae.errors import KotaeError
from kotae.types import Answer
from service.answer import EXTRACTIONS, Answerer

FACT_COLUMNS = ("extraction", "fact stated", "in first 150", "in a quote", "false refusals", "refused absent",
                "refused near miss", "median chars", "p50 ms", "p95 ms")
KINDS = ("answerable", "absent", "near_miss")
_MARK = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class FactQuestion:
    """One question of a facts set; `asks` holds each ask's alternatives (one ask unless `multi`)."""

    qid: str
    question: str
    answer_type: str
    kind: str
    asks: tuple[tuple[str, ...], ...]
    collection: str = ""


@dataclass
class FactEval:
    """The figures of one extraction, and what each question got."""

    extraction: str
    metrics: dict[str, float]
    per_question: list[dict[str, Any]] = field(default_factory=list)


def load_facts(path: Path) -> list[FactQuestion]:
    """The questions of a facts set (JSONL); a line that is not a valid question is an error naming it."""
    out: list[FactQuestion] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise KotaeError(f"facts set {path}: cannot read it ({exc.strerror or exc})") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            kind = row["kind"]
            if kind not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
            parts = row.get("parts") or []
            asks = tuple(tuple(p["facts"]) for p in parts) if parts else ((tuple(row["facts"]),) if row["facts"]
                                                                            else ())
            if kind == "answerable" and (not asks or not all(asks)):
                raise ValueError("an answerable question needs at least one fact (or facts in each part)")
            out.append(FactQuestion(str(row["qid"]), str(row["question"]), str(row.get("answer_type", "")), kind,
                                    asks, str(row.get("collection", ""))))
        except (ValueError, KeyError, TypeError) as exc:
            raise KotaeError(f"facts set {path}, line {number}: {exc}") from exc
    if not out:
        raise KotaeError(f"facts set {path}: no questions")
    return out


def normalise(text: str) -> str:
    """For finding a fact in an answer: NFKC, no citation marks, no blanks."""
    return "".join(_MARK.sub("", unicodedata.normalize("NFKC", text)).split())


def states(text: str, alternatives: tuple[str, ...]) -> int:
    """Where in `text` (normalised) the first of `alternatives` is stated, -1 when none is."""
    flat = normalise(text)
    found = [flat.find(normalise(a)) for a in alternatives]
    found = [i for i in found if i >= 0]
    return min(found) if found else -1


def evaluate_facts(questions: list[FactQuestion], answerer: Answerer, extraction: str) -> FactEval:
    """Ask every question with `extraction` and compute the figures (see the module docstring)."""
    if extraction not in EXTRACTIONS:
        raise KotaeError(f"unknown extraction {extraction!r}; choose one of {', '.join(EXTRACTIONS)}")
    asker = Answerer(answerer.searcher, answerer.generators, replace(answerer.params, extraction=extraction))
    stated = early = quoted = asks = false_refusals = answerable = 0
    refused = {"absent": 0, "near_miss": 0}
    total = {"absent": 0, "near_miss": 0}
    lengths: list[int] = []
    latencies: list[float] = []
    rows: list[dict[str, Any]] = []
    for q in questions:
        began = time.perf_counter()
        answer = asker.ask(q.question)
        latencies.append((time.perf_counter() - began) * 1000)
        row: dict[str, Any] = {"qid": q.qid, "question": q.question, "kind": q.kind, "grounded": answer.grounded,
                               "reason": answer.reason, "answer": answer.text}
        if q.kind != "answerable":
            total[q.kind] += 1
            refused[q.kind] += not answer.grounded
        else:
            answerable += 1
            false_refusals += not answer.grounded
            if answer.grounded:
                lengths.append(len(normalise(answer.text)))
            row["stated"] = []
            for alternatives in q.asks:
                asks += 1
                at = states(answer.text, alternatives) if answer.grounded else -1
                in_quote = answer.grounded and _in_quote(answer, alternatives)
                stated += at >= 0
                early += 0 <= at < 150
                quoted += in_quote
                row["stated"].append({"at": at, "in_quote": in_quote})
        rows.append(row)
    metrics = {
        "fact stated": stated / asks if asks else 0.0,
        "in first 150": early / asks if asks else 0.0,
        "in a quote": quoted / asks if asks else 0.0,
        "false refusals": false_refusals / answerable if answerable else 0.0,
        "refused absent": refused["absent"] / total["absent"] if total["absent"] else 0.0,
        "refused near miss": refused["near_miss"] / total["near_miss"] if total["near_miss"] else 0.0,
        "median chars": float(statistics.median(lengths)) if lengths else 0.0,
        "p50 ms": percentile(latencies, 50),
        "p95 ms": percentile(latencies, 95),
    }
    return FactEval(extraction, metrics, rows)


def _in_quote(answer: Answer, alternatives: tuple[str, ...]) -> bool:
    return any(states(c.quote, alternatives) >= 0 for c in answer.citations)


def fact_table(results: list[FactEval]) -> str:
    """The figures as a Markdown table, one row per extraction."""
    lines = ["| " + " | ".join(FACT_COLUMNS) + " |", "|" + "---|" * len(FACT_COLUMNS)]
    for r in results:
        cells = [r.extraction]
        for column in FACT_COLUMNS[1:]:
            value = r.metrics[column]
            cells.append(f"{value:.0f}" if column in ("median chars", "p50 ms", "p95 ms") else f"{value:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_facts(path: Path, answerer: Answerer, extractions: list[str], as_json: bool,
              details: Path | None = None) -> int:
    """`kotae eval --facts`: print the table (or JSON); `details` gets every question's answer (JSONL)."""
    questions = load_facts(path)
    results = [evaluate_facts(questions, answerer, e) for e in (extractions or ["facts", "relevance"])]
    if details is not None:
        with details.open("w", encoding="utf-8") as out:
            for r in results:
                for row in r.per_question:
                    out.write(json.dumps({"extraction": r.extraction, **row}, ensure_ascii=False) + "\n")
    if as_json:
        print(json.dumps({"facts": str(path), "questions": len(questions),
                          "results": [{"extraction": r.extraction, **r.metrics} for r in results]},
                         ensure_ascii=False))
    else:
        print(f"{path}: {len(questions)} questions "
              f"({', '.join(f'{k} {sum(q.kind == k for q in questions)}' for k in KINDS)})")
        print(fact_table(results))
    return 0
