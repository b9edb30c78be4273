"""Search latency and memory at the shared-data index size and at 10x and 100x that size.

    python -m eval.bench_search [--data ../shared/data] [--scales 1 10 100]

Builds one real store from ../shared/data, then for each scale a copy in which every document is repeated
under new sources and chunk ids (vectors copied, not re-embedded), with the lexical index rebuilt. The dev
questions are then searched in a child process (models loaded once, one warm-up query): p50/p95 latency of
the default search unfiltered and with the executive filter, load time and peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def replicate(base: Path, target: Path, copies: int) -> int:
    """Copy the store `base` to `target` and add `copies - 1` replicas of every document; returns chunks."""
    from kotae.index import lexical
    from kotae.index.catalog import Catalog
    from kotae.index.store import StorePaths
    from kotae.index.vectors import embedded_vectors

    shutil.copytree(base, target)
    paths = StorePaths(target)
    catalog = Catalog(paths.catalog)
    vectors = embedded_vectors(paths.chroma)
    documents = catalog.documents()
    for number in range(1, copies):
        for source, record in documents.items():
            chunks = catalog.chunks_of(source)
            stored = vectors.embeddings([c.chunk_id for c in chunks])
            copies_of = [
                type(c)(**{**c.__dict__, "chunk_id": _new_id(number, c.chunk_id), "source": f"copy{number}/{source}"})
                for c in chunks
            ]
            vectors.upsert(copies_of, np.stack([stored[c.chunk_id] for c in chunks]))
            new_record = type(record)(**{**record.__dict__, "source": f"copy{number}/{source}"})
            text_hashes = [hashlib.sha256(c.text.encode()).hexdigest() for c in chunks]
            catalog.commit_document(new_record, copies_of, catalog.tokens_of(source), text_hashes)
    lexical.save(lexical.build(catalog), paths.lexical)
    count = catalog.chunk_count()
    catalog.close()
    return count


def _new_id(number: int, chunk_id: str) -> str:
    return hashlib.sha256(f"copy{number}:{chunk_id}".encode()).hexdigest()[:24]


def child(store: Path, dataset: Path) -> int:
    """Load the store, search every dev question twice (both filters) and print figures as JSON."""
    from eval.dataset import load_questions
    from kotae.settings import load_settings
    from service.filters import Filters
    from service.search import Searcher

    began = time.perf_counter()
    searcher = Searcher(load_settings(store))
    load_seconds = time.perf_counter() - began
    queries = [q.query for q in load_questions(dataset)]
    out: dict[str, object] = {"load_seconds": round(load_seconds, 2)}
    for name, filters in (("unfiltered", Filters()), ("executive", Filters(speaker_role=("executive",)))):
        searcher.search(queries[0], k=10, filters=filters)
        times = []
        for query in queries:
            t = time.perf_counter()
            searcher.search(query, k=10, filters=filters)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[name] = {"p50": round(statistics.median(times), 1), "p95": round(times[int(0.95 * (len(times) - 1))], 1)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))
    return 0


def main() -> int:
    """Build the stores and print one Markdown row per scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    dataset = args.data / "eval" / "tokyo2020-dev.jsonl"
    if args.child:
        return child(args.child, dataset)
    if not dataset.is_file():
        print(f"skipped: {dataset} not found", file=sys.stderr)
        return 0
    from ingest.pipeline import run_ingest
    from kotae.settings import load_settings

    print("| scale | chunks | build s | load s | p50 / p95 ms unfiltered | p50 / p95 ms executive | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        run_ingest([args.data], load_settings(base))
        for scale in args.scales:
            target = Path(tmp) / f"x{scale}"
            began = time.perf_counter()
            chunks = replicate(base, target, scale)
            build = time.perf_counter() - began
            done = subprocess.run([sys.executable, "-m", "eval.bench_search", "--data", str(args.data),
                                   "--child", str(target)], capture_output=True, text=True, check=True,
                                  env=os.environ.copy())
            fig = json.loads(done.stdout.strip().splitlines()[-1])
            u, e = fig["unfiltered"], fig["executive"]
            print(f"| {scale}x | {chunks:,} | {build:.0f} | {fig['load_seconds']} | {u['p50']} / {u['p95']} | "
                  f"{e['p50']} / {e['p95']} | {fig['peak_rss_mb']} |", flush=True)
            shutil.rmtree(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
