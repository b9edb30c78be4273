"""Concurrent load on `kotae serve`: N clients for a fixed time on /api/search and /api/ask, against one process
on an embedded store, or against several processes sharing a Chroma server.

    python -m eval.bench_load --store STORE [--clients 1 4 16] [--seconds 20] [--data ../shared/data]
    python -m eval.bench_load --chroma --ingest PATH... [--processes 2] [--clients 1 4 16] [--seconds 20]

With `--chroma`, a Chroma server (`chroma run`) is started on a temporary folder, PATH... are ingested into it,
and `--processes` replicas serve it; client i talks to replica i mod N, as behind a round-robin load balancer.
Each client sends the dev questions in turn (search, then ask) over keep-alive HTTP on loopback. Prints, per
concurrency: requests/s, p50/p95/p99 latency per route, errors (must be zero) and the peak RSS of each process.
Servers run with the rate limit off (this is the load) and default settings otherwise.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from eval.metrics import percentile
from eval.processes import ChromaServer, Process, ServiceProcess, clean_env

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_clients(bases: list[str], questions: list[str], clients: int, seconds: float) -> dict[str, object]:
    """`clients` threads, each alternating search and ask until time is up; client i uses `bases[i % len]`."""
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int, base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            i = offset
            while time.monotonic() < stop:
                question = questions[i % len(questions)]
                for route, body in (("search", {"query": question, "k": 10}), ("ask", {"question": question})):
                    began = time.perf_counter()
                    try:
                        response = http.post(f"/api/{route}", json=body)
                        ok = response.status_code == 200
                        detail = f"{route} {response.status_code}"
                    except httpx.HTTPError as exc:
                        ok, detail = False, f"{route} {type(exc).__name__}"
                    elapsed = (time.perf_counter() - began) * 1000
                    with lock:
                        if ok:
                            latencies[route].append(elapsed)
                        else:
                            errors.append(detail)
                i += 1

    threads = [threading.Thread(target=client, args=(n * 7, bases[n % len(bases)])) for n in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    total = sum(len(v) for v in latencies.values())
    figures: dict[str, object] = {"clients": clients, "requests_per_s": total / elapsed, "errors": len(errors)}
    for route, values in latencies.items():
        figures[route] = {"n": len(values), "p50": statistics.median(values) if values else 0.0,
                          "p95": percentile(values, 95), "p99": percentile(values, 99)}
    return figures


def main() -> None:
    """Start the servers, load them at each concurrency, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="an ingested embedded store (e.g. of ../shared/data)")
    parser.add_argument("--chroma", action="store_true", help="replicas sharing a Chroma server instead")
    parser.add_argument("--ingest", type=Path, nargs="+", default=[], help="with --chroma: what to ingest")
    parser.add_argument("--processes", type=int, default=2, help="with --chroma: how many replicas")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if args.chroma == (args.store is not None) or (args.chroma and not args.ingest):
        parser.error("give either --store STORE, or --chroma with --ingest PATH...")
    from eval.dataset import load_questions

    questions = [q.query for q in load_questions(args.data / "eval" / "tokyo2020-dev.jsonl")]
    with tempfile.TemporaryDirectory(prefix="kotae-load-") as scratch, ExitStack() as running:
        work = Path(scratch)
        processes: list[Process] = []
        settings = {"KOTAE_RATE_LIMIT_PER_MINUTE": "0"}
        if args.chroma:
            chroma = running.enter_context(ChromaServer(work / "chroma", work / "chroma.log"))
            processes.append(chroma)
            settings["KOTAE_CHROMA_URL"] = chroma.url
            began = time.monotonic()
            ingest = subprocess.run([sys.executable, "-m", "cli.main", "ingest", *map(str, args.ingest), "--store",
                                     str(work / "writer")], env=clean_env(settings), capture_output=True, text=True)
            if ingest.returncode != 0:
                raise SystemExit(f"ingestion into the Chroma server failed:\n{ingest.stderr[-2000:]}")
            print(f"ingested into the Chroma server in {time.monotonic() - began:.0f} s", flush=True)
            stores = [work / f"replica{i}" for i in range(args.processes)]
        else:
            stores = [args.store]
        replicas = [running.enter_context(ServiceProcess(store, work / f"serve{i}.log", settings))
                    for i, store in enumerate(stores)]
        processes.extend(replicas)
        names = ", ".join(p.name for p in processes)
        print(f"| clients | requests/s | search p50 / p95 / p99 ms | ask p50 / p95 / p99 ms | errors | "
              f"peak RSS ({names}) |")
        print("|---|---|---|---|---|---|")
        for clients in args.clients:
            f = run_clients([r.url for r in replicas], questions, clients, args.seconds)
            s, a = f["search"], f["ask"]
            assert isinstance(s, dict) and isinstance(a, dict)
            rss = " + ".join(f"{peak_rss_mb(p.pid):.0f}" for p in processes)
            print(f"| {clients} | {f['requests_per_s']:.1f} | {s['p50']:.0f} / {s['p95']:.0f} / {s['p99']:.0f} | "
                  f"{a['p50']:.0f} / {a['p95']:.0f} / {a['p99']:.0f} | {f['errors']} | {rss} MB |", flush=True)


if __name__ == "__main__":
    main()
