"""Concurrent load on one `kotae serve` process: N clients for a fixed time on /api/search and /api/ask.

    python -m eval.bench_load --store STORE [--clients 1 4 16] [--seconds 20] [--data ../shared/data]

Each client sends the dev questions in turn (search, then ask) over keep-alive HTTP on loopback. Prints, per
concurrency: requests/s, p50/p95/p99 latency per route, errors (must be zero) and the server's peak RSS. The
server runs with the rate limit off (this is the load) and default settings otherwise.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import httpx

from eval.metrics import percentile

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_clients(base: str, questions: list[str], clients: int, seconds: float) -> dict[str, object]:
    """`clients` threads, each alternating search and ask until time is up."""
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
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

    threads = [threading.Thread(target=client, args=(n * 7,)) for n in range(clients)]
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
    """Start the server, load it at each concurrency, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="an ingested store (e.g. of ../shared/data)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    from eval.dataset import load_questions

    questions = [q.query for q in load_questions(args.data / "eval" / "tokyo2020-dev.jsonl")]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")} | {"KOTAE_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--store", str(args.store), "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)
        print("| clients | requests/s | search p50 / p95 / p99 ms | ask p50 / p95 / p99 ms | errors | peak RSS |")
        print("|---|---|---|---|---|---|")
        for clients in args.clients:
            f = run_clients(base, questions, clients, args.seconds)
            s, a = f["search"], f["ask"]
            assert isinstance(s, dict) and isinstance(a, dict)
            print(f"| {clients} | {f['requests_per_s']:.1f} | {s['p50']:.0f} / {s['p95']:.0f} / {s['p99']:.0f} | "
                  f"{a['p50']:.0f} / {a['p95']:.0f} / {a['p99']:.0f} | {f['errors']} | "
                  f"{peak_rss_mb(server.pid):.0f} MB |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
