"""Measure retrieval on the Tokyo 2020 dev set for several chunk sizes, to choose the default size.

    python -m eval.chunk_size_sweep [--sizes 200 400 800] [--data ../shared/data]

For each size: ingest the minutes into a fresh store, run every dev question (executive turns only, as
someone looking for past answers would) and print Recall@1/5/10, MRR@10 and the index size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from eval.dataset import load_questions
from eval.metrics import Retrieved, first_relevant_rank, recall_at, reciprocal_rank
from ingest.pipeline import run_ingest
from kotae.settings import load_settings
from service.reader.search import Filters, Searcher


def main() -> int:
    """Run the sweep and print one row per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 400, 800])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    args = parser.parse_args()
    dataset = args.data / "eval" / "tokyo2020-dev.jsonl"
    if not dataset.is_file():
        print(f"skipped: {dataset} not found", file=sys.stderr)
        return 0
    questions = load_questions(dataset)
    print("| chunk chars (max) | chunks | R@1 | R@5 | R@10 | MRR@10 | R@5 subtopic+query |")
    print("|---|---|---|---|---|---|---|")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["KOTAE_INGEST_CHUNK_CHARS"] = str(size)
            os.environ["KOTAE_INGEST_MAX_CHUNK_CHARS"] = str(size * 2)
            settings = load_settings(Path(tmp))
            summary = run_ingest([args.data / "minutes"], settings)
            searcher = Searcher(settings)
            only_answers = Filters(speaker_role=("executive",))
            ranks: list[int | None] = []
            ranks_topic: list[int | None] = []
            for q in questions:
                for query, out in ((q.query, ranks), (f"{q.subtopic} {q.query}", ranks_topic)):
                    hits = searcher.search(query, k=10, filters=only_answers)
                    found = [Retrieved("minutes/" + h.chunk.source, h.chunk.start, h.chunk.end) for h in hits]
                    out.append(first_relevant_rank(found, q.relevant))
            row = [
                f"{size} ({size * 2})", str(summary.chunks),
                *(f"{statistics.mean(recall_at(r, k) for r in ranks):.3f}" for k in (1, 5, 10)),
                f"{statistics.mean(reciprocal_rank(r) for r in ranks):.3f}",
                f"{statistics.mean(recall_at(r, 5) for r in ranks_topic):.3f}",
            ]
            print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
