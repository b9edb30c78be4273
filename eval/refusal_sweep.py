"""When should Kotae say 「資料からは回答できません」? Measures, for answerable questions (a dataset with gold
spans) and questions the documents cannot answer (`"answerable": false`), the evidence the top passages hold —
the weighted share of the question's words they contain together, and the share the index has never seen —
and prints, for a grid of thresholds, how many answerable questions would be refused (false refusals) against
how many unanswerable ones would be (refusals). The defaults in `service.compose.relevance.EvidenceParams`
come from this table (README).

    python -m eval.refusal_sweep --store STORE ANSWERABLE.jsonl UNANSWERABLE.jsonl [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from eval.dataset import Question, load_questions
from kotae.settings import load_settings
from service.answer import Answerer
from service.compose.relevance import Evidence, EvidenceParams, evidence
from service.reader.search import Searcher

COVERAGE_GRID = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7)
UNKNOWN_GRID = (0.1, 0.2, 0.3, 1.01)  # 1.01: the unknown-words rule off


def measure(answerer: Answerer, questions: list[Question]) -> list[Evidence]:
    """The evidence of each question's top passages."""
    found: list[Evidence] = []
    for q in questions:
        hits = answerer.passages(q.query)
        found.append(evidence(answerer.terms(q.query), [h.chunk.text for h in hits], answerer.searcher.tokenizer))
    return found


def sweep(answerable: list[Evidence], unanswerable: list[Evidence]) -> list[dict[str, float]]:
    """False refusal and refusal rates for each pair of thresholds."""
    rows = []
    for coverage, unknown in itertools.product(COVERAGE_GRID, UNKNOWN_GRID):
        params = EvidenceParams(min_coverage=coverage, max_unknown=unknown)
        rows.append({
            "min_coverage": coverage, "max_unknown": unknown,
            "false_refusal": sum(not params.enough(e) for e in answerable) / max(1, len(answerable)),
            "refusal": sum(not params.enough(e) for e in unanswerable) / max(1, len(unanswerable)),
        })
    return rows


def main() -> None:
    """Print the table (Markdown, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answerable", type=Path)
    parser.add_argument("unanswerable", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    answerer = Answerer(Searcher(load_settings(args.store)))
    good = measure(answerer, [q for q in load_questions(args.answerable) if q.answerable])
    bad = measure(answerer, [q for q in load_questions(args.unanswerable) if not q.answerable])
    rows = sweep(good, bad)
    if args.json:
        print(json.dumps(rows))
        return
    default = EvidenceParams()
    print(f"{len(good)} answerable, {len(bad)} unanswerable questions\n")
    print("| min coverage | max unknown | false refusals (answerable) | refusals (unanswerable) |\n|---|---|---|---|")
    for r in rows:
        is_default = (r["min_coverage"], r["max_unknown"]) == (default.min_coverage, default.max_unknown)
        mark = " ← default" if is_default else ""
        unknown = "off" if r["max_unknown"] > 1 else f"{r['max_unknown']:.2f}"
        print(f"| {r['min_coverage']:.2f} | {unknown} | {r['false_refusal']:.3f} | {r['refusal']:.3f}{mark} |")


if __name__ == "__main__":
    main()
