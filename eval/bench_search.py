"""Search latency and memory at the shared-data index size and at 10x and 100x that size.

    python -m eval.bench_search [--data ../shared/data] [--scales 1 10 100] [--rotate] [--repeat R] [--stores DIR]
                                [--chart FILE.svg]

Builds one real store from ../shared/data, then for each scale a copy in which every document is repeated
under new sources and chunk ids (vectors copied, not re-embedded), with the lexical index rebuilt. The dev
questions are then searched in a child process (models loaded once, one warm-up query): p50/p95 latency of
the default search unfiltered and with the executive filter, load time, peak RSS, and how often a search
needed more dense candidates than its one HNSW query gave (the wider unfiltered query, the filtered one).

Exact copies (the default) are the worst case for the dense side, and not what real data of that size looks
like: the N copies of a chunk are each other's nearest neighbours, so a query's 1,000 nearest hold about
1,000/N distinct chunks, a filtered group often finds too few of its own among them, and Chroma's HNSW graph
over clusters of identical vectors answers some queries with a few dozen neighbours instead of 1,000 (at 100x,
4 of the 107 dev questions). Both send searches to the slow filtered Chroma query. (Perturbing the copies
with noise does not help: at cosine 0.76 to their original, 100 noisy copies still crowd the neighbour list
and still break the graph for 6 of 107 questions.) `--rotate` turns every copy's vectors by one random
rotation per copy (seeded by the copy number): distances within a copy stay exactly those of the real data,
while the copies no longer sit on top of one another, so neighbour lists hold distinct chunks as they would in
a real store of that size. The copies' text and lexical tokens stay identical either way.
`--stores DIR` keeps each built store in DIR (and reuses it on the next run) instead of a temporary folder.
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
from typing import Any

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def replicate(base: Path, target: Path, copies: int, rotate: bool = False) -> int:
    """Copy the store `base` to `target` and add `copies - 1` replicas of every document; returns chunks.
    With `rotate` each replica's vectors are turned by that replica's own rotation (see the module docstring)."""
    from kotae.index import lexical
    from kotae.index.catalog import Catalog
    from kotae.index.store import StorePaths, open_vectors

    shutil.copytree(base, target)
    paths = StorePaths(target)
    catalog = Catalog(paths.catalog)
    vectors = open_vectors(paths, catalog)
    documents = catalog.documents()
    originals = {source: catalog.chunks_of(source) for source in documents}
    for number in range(1, copies):
        rotation = None
        for source, record in documents.items():
            chunks = originals[source]
            stored = vectors.embeddings([c.chunk_id for c in chunks])
            copies_of = [
                type(c)(**{**c.__dict__, "chunk_id": _new_id(number, c.chunk_id), "source": f"copy{number}/{source}"})
                for c in chunks
            ]
            matrix = np.stack([stored[c.chunk_id] for c in chunks])
            if rotate:
                rotation = _rotation(number, matrix.shape[1]) if rotation is None else rotation
                matrix = (matrix @ rotation).astype(np.float32)
            vectors.upsert(copies_of, matrix)
            new_record = type(record)(**{**record.__dict__, "source": f"copy{number}/{source}"})
            text_hashes = [hashlib.sha256(c.text.encode()).hexdigest() for c in chunks]
            catalog.commit_document(new_record, copies_of, catalog.tokens_of(source), text_hashes, matrix)
    lexical.save(lexical.build(catalog), paths.lexical)
    count = catalog.chunk_count()
    vectors.close()
    catalog.close()
    return count


def _rotation(number: int, dim: int) -> np.ndarray:
    """A random orthogonal matrix, the same for the same copy number."""
    q, r = np.linalg.qr(np.random.default_rng(number).standard_normal((dim, dim)))
    result: np.ndarray = q * np.sign(np.diag(r))
    return result


def _new_id(number: int, chunk_id: str) -> str:
    return hashlib.sha256(f"copy{number}:{chunk_id}".encode()).hexdigest()[:24]


def child(store: Path, dataset: Path, repeat: int = 1) -> int:
    """Load the store, search every dev question `repeat` times with each filter and print figures as JSON."""
    from eval.dataset import load_questions
    from kotae.index.vectors import VectorStore
    from kotae.settings import load_settings
    from service.filters import Filters
    from service.reader.search import Searcher

    began = time.perf_counter()
    searcher = Searcher(load_settings(store))
    load_seconds = time.perf_counter() - began
    queries = [q.query for q in load_questions(dataset)]
    out: dict[str, object] = {"load_seconds": round(load_seconds, 2), "chunks": len(searcher._snapshot.view.chunk_ids)}
    calls: dict[str, int] = {}
    query_vectors = VectorStore.query

    def counted(self: VectorStore, vector: Any, k: int, where: dict[str, Any] | None = None) -> Any:
        kind = "filtered" if where else f"n={k}"
        calls[kind] = calls.get(kind, 0) + 1
        return query_vectors(self, vector, k, where)

    VectorStore.query = counted  # type: ignore[method-assign]  # counts Chroma queries by kind, nothing else
    for name, filters in (("unfiltered", Filters()), ("executive", Filters(speaker_role=("executive",)))):
        searcher.search(queries[0], k=10, filters=filters)
        calls.clear()
        times = []
        for _ in range(repeat):
            for query in queries:
                t = time.perf_counter()
                searcher.search(query, k=10, filters=filters)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[name] = {"p50": round(statistics.median(times), 1), "p95": round(times[int(0.95 * (len(times) - 1))], 1),
                     "chroma_queries": dict(calls), "searches": len(times)}
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))
    return 0


def main() -> int:
    """Build the stores and print one Markdown row per scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--rotate", action="store_true",
                        help="rotate each copy's vectors (default: exact copies; see the module docstring)")
    parser.add_argument("--repeat", type=int, default=1, help="search the dev questions this many times")
    parser.add_argument("--stores", type=Path, default=None, metavar="DIR",
                        help="keep the built stores in DIR and reuse them (default: a temporary folder)")
    parser.add_argument("--chart", type=Path, default=None, metavar="FILE.svg",
                        help="also draw latency, memory and build time over the index size")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    dataset = args.data / "eval" / "tokyo2020-dev.jsonl"
    if args.child:
        return child(args.child, dataset, args.repeat)
    if not dataset.is_file():
        print(f"skipped: {dataset} not found", file=sys.stderr)
        return 0
    from ingest.pipeline import run_ingest
    from kotae.settings import load_settings

    print("| scale | chunks | build s | load s | p50 / p95 ms unfiltered | p50 / p95 ms executive | peak RSS MB "
          "| wider / filtered Chroma queries (unfiltered; executive) |")
    print("|---|---|---|---|---|---|---|---|")
    rows: list[tuple[int, dict[str, Any], float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.stores or Path(tmp)
        base = folder / "base"
        if not base.is_dir():
            run_ingest([args.data], load_settings(base))
        for scale in args.scales:
            target = folder / (f"x{scale}" + ("-rotated" if args.rotate else ""))
            began = time.perf_counter()
            reuse = args.stores is not None and target.is_dir()
            if not reuse:
                replicate(base, target, scale, args.rotate)
            build = "reused" if reuse else f"{time.perf_counter() - began:.0f}"
            done = subprocess.run([sys.executable, "-m", "eval.bench_search", "--data", str(args.data),
                                   "--repeat", str(args.repeat), "--child", str(target)],
                                  capture_output=True, text=True, check=True, env=os.environ.copy())
            fig = json.loads(done.stdout.strip().splitlines()[-1])
            u, e = fig["unfiltered"], fig["executive"]
            fallbacks = "; ".join(
                f"{f['chroma_queries'].get('n=5000', 0)} / {f['chroma_queries'].get('filtered', 0)}" for f in (u, e)
            )
            print(f"| {scale}x | {fig['chunks']:,} | {build} | {fig['load_seconds']} | {u['p50']} / {u['p95']} | "
                  f"{e['p50']} / {e['p95']} | {fig['peak_rss_mb']} | {fallbacks} (of {u['searches']} each) |",
                  flush=True)
            rows.append((fig["chunks"], fig, float("nan") if reuse else time.perf_counter() - began))
            if not args.stores:
                shutil.rmtree(target)
    if args.chart:
        args.chart.write_text(scaling_chart(rows), encoding="utf-8")
    return 0


def scaling_chart(rows: list[tuple[int, dict[str, Any], float]]) -> str:
    """Three panels over the chunk count: search latency against the 150 ms goal, peak memory of the searching
    process, and the time to build each copy (replicated vectors: no embedding)."""
    from eval.chart import Panel, panels

    xs = [float(chunks) for chunks, _, _ in rows]
    return panels([
        Panel("search latency (ms)", xs, {
            "p95 unfiltered": [float(f["unfiltered"]["p95"]) for _, f, _ in rows],
            "p95 executive filter": [float(f["executive"]["p95"]) for _, f, _ in rows],
            "p50 unfiltered": [float(f["unfiltered"]["p50"]) for _, f, _ in rows],
        }, goal=150),
        Panel("peak memory of search (GB)", xs, {"RSS": [f["peak_rss_mb"] / 1024 for _, f, _ in rows]}, goal=24),
        Panel("index build (s)", xs, {"copy + BM25 rebuild": [b for _, _, b in rows]},
              notes=["vectors copied, not embedded"]),
    ])

if __name__ == "__main__":
    sys.exit(main())
