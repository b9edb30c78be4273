"""Answer and draft latency at the shared-data index size (the target: ask p95 ≤ 300 ms, extractive).

    python -m eval.bench_answer [--data ../shared/data] [--store DIR] [--questions N]

Ingests the shared data into a temporary store (or uses `--store`), then asks the dev questions (models loaded
once, one warm-up question) and drafts a 答弁案 for each: p50/p95 of `ask`, of its search step alone, and of
`draft`, with the share of answers that were refusals.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from eval.metrics import percentile

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FOLDERS = ("minutes", "pdf", "reiki", "speeches")


def bench(store: Path, questions: list[str]) -> dict[str, float]:
    """Latencies (ms) of search, ask and draft over `questions`."""
    from kotae.settings import load_settings
    from service.answer import Answerer
    from service.draft import Drafter
    from service.reader.search import Searcher

    answerer = Answerer(Searcher(load_settings(store)))
    drafter = Drafter(answerer)
    answerer.ask("ウォームアップの質問です。")
    search_ms, ask_ms, draft_ms = [], [], []
    refused = 0
    for q in questions:
        began = time.perf_counter()
        answerer.passages(q)
        search_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        refused += not answerer.ask(q).grounded
        ask_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        drafter.draft(q, "質問者", "検討")
        draft_ms.append((time.perf_counter() - began) * 1000)
    return {"questions": len(questions), "chunks": answerer.searcher.catalog.chunk_count(),
            "search p50": statistics.median(search_ms), "search p95": percentile(search_ms, 95),
            "ask p50": statistics.median(ask_ms), "ask p95": percentile(ask_ms, 95),
            "draft p50": statistics.median(draft_ms), "draft p95": percentile(draft_ms, 95),
            "refused": refused / max(1, len(questions))}


def main() -> None:
    """Build (or open) the store, run the questions, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--store", type=Path, default=None, help="an existing store of the shared data")
    parser.add_argument("--questions", type=int, default=107)
    args = parser.parse_args()
    from eval.dataset import load_questions

    questions = [q.query for q in load_questions(args.data / "eval" / "tokyo2020-dev.jsonl")][:args.questions]
    with tempfile.TemporaryDirectory() as scratch:
        store = args.store
        if store is None:
            from ingest.pipeline import run_ingest
            from kotae.settings import load_settings

            store = Path(scratch) / "store"
            run_ingest([args.data / f for f in FOLDERS], load_settings(store))
        figures = bench(store, questions)
    print(f"{figures['questions']} questions, {figures['chunks']:.0f} chunks")
    for name in ("search", "ask", "draft"):
        print(f"{name:>6}: p50 {figures[name + ' p50']:.0f} ms, p95 {figures[name + ' p95']:.0f} ms")
    print(f"refused: {figures['refused']:.1%}")


if __name__ == "__main__":
    main()
