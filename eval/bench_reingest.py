"""Re-ingestion while serving, on an embedded store: the probe that broke the store before the serving process
owned it, run as a benchmark.

    python -m eval.bench_reingest [--data ../shared/data] [--rounds 5] [--clients 4] [--via admin cli]

A copy of the shared data's minutes and PDFs (in a temporary folder) is ingested into a fresh embedded store and
served by `kotae serve`. N clients search and ask without pause while, `--rounds` times for each of `--via`, every
minutes file and every PDF changes (a line added) and the store is re-ingested: from the admin page's job
(`POST /api/admin/jobs`) or from the command line (`kotae ingest --all`, which hands its run to the server).
Prints the errors (must be zero), each run's status and time, search/ask latency while idle and while a run
works, and whether the store afterwards is whole (`kotae repair`) and equal to a clean run over the same files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from eval.metrics import percentile
from eval.processes import ServiceProcess, clean_env

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def kotae(*args: str) -> subprocess.CompletedProcess[str]:
    """The `kotae` command in a process of its own, on default settings."""
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=clean_env({}), capture_output=True,
                          text=True, check=False)


def change_every_file(docs: Path, round_: int) -> int:
    """Add a line to every minutes file and every PDF (after its end marker, which readers ignore)."""
    changed = 0
    for path in sorted(docs.rglob("*")):
        if path.suffix == ".txt":
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"\n（第{round_}回の差し替え）\n")
        elif path.suffix == ".pdf":
            with open(path, "ab") as out:
                out.write(f"\n% kotae round {round_}\n".encode())
        else:
            continue
        changed += 1
    return changed


class Load:
    """Clients alternating search and ask over the dev questions; latencies kept by phase (idle / run)."""

    def __init__(self, base: str, questions: list[str], clients: int) -> None:
        self.base, self.questions, self.clients = base, questions, clients
        self.phase = "idle"
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _client(self, offset: int) -> None:
        with httpx.Client(base_url=self.base, timeout=120) as http:
            i = offset
            while not self._stop.is_set():
                question = self.questions[i % len(self.questions)]
                for route, body in (("search", {"query": question, "k": 10}), ("ask", {"question": question})):
                    phase = self.phase
                    began = time.perf_counter()
                    try:
                        response = http.post(f"/api/{route}", json=body)
                        failed = None if response.status_code == 200 else f"{route} {response.status_code}"
                    except httpx.HTTPError as exc:
                        failed = f"{route} {type(exc).__name__}"
                    with self._lock:
                        self.latencies.setdefault(f"{route} {phase}", []).append(time.perf_counter() - began)
                        if failed:
                            self.errors.append(failed)
                i += self.clients


def run_via(how: str, base: str, store: Path) -> dict[str, Any]:
    """One re-ingestion of every folder of the store, from the admin page's job or the command line."""
    began = time.monotonic()
    if how == "admin":
        job = httpx.post(f"{base}/api/admin/jobs", timeout=60).json()
        while job["status"] == "running":
            time.sleep(0.5)
            job = httpx.get(f"{base}/api/admin/jobs/{job['id']}", timeout=60).json()
        summary = job.get("summary") or {}
        status = "failed files" if job["status"] == "done" and summary.get("failed") else job["status"]
        status = f"{status}: {job['error']}" if job.get("error") else status
    else:
        done = kotae("ingest", "--all", "--store", str(store), "--json")
        summary = json.loads(done.stdout) if done.returncode in (0, 1) and done.stdout.strip() else {}
        status = "done" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
    return {"via": how, "status": status, "seconds": round(time.monotonic() - began, 1),
            "updated": summary.get("updated"), "embedded": summary.get("embedded_chunks")}


def state(store: Path) -> dict[str, Any]:
    """The catalogue's documents (version) and chunk ids, for comparing with a clean run."""
    import sqlite3

    db = sqlite3.connect(f"file:{store / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        return {"documents": dict(db.execute("SELECT source, version FROM documents").fetchall()),
                "chunks": sorted(r[0] for r in db.execute("SELECT chunk_id FROM chunks"))}
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=5, help="re-ingestions by each of --via")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--via", nargs="+", choices=["admin", "cli"], default=["admin", "cli"])
    parser.add_argument("--idle-seconds", type=float, default=15)
    args = parser.parse_args(argv)
    from eval.dataset import load_questions

    questions = [q.query for q in load_questions(args.data / "eval" / "tokyo2020-dev.jsonl")]
    with tempfile.TemporaryDirectory(prefix="kotae-reingest-") as tmp:
        root = Path(tmp)
        for folder in ("minutes", "pdf"):
            shutil.copytree(args.data / folder, root / "docs" / folder)
        built = kotae("ingest", str(root / "docs"), "--store", str(root / "store"), "--json")
        if built.returncode != 0:
            print(built.stderr, file=sys.stderr)
            return 1
        server = ServiceProcess(root / "store", root / "serve.log", {"KOTAE_RATE_LIMIT_PER_MINUTE": "0"}).start()
        load = Load(server.url, questions, args.clients)
        runs: list[dict[str, Any]] = []
        try:
            load.start()
            time.sleep(args.idle_seconds)
            for round_ in range(args.rounds * len(args.via)):
                how = args.via[round_ % len(args.via)]
                changed = change_every_file(root / "docs", round_)
                load.phase = "run"
                runs.append({**run_via(how, server.url, root / "store"), "files_changed": changed})
                load.phase = "idle"
                print(json.dumps(runs[-1], ensure_ascii=False), file=sys.stderr)
        finally:
            load.stop()
            server.stop()
        traceback = "Traceback" in server.tail(10_000)
        checked = kotae("repair", "--store", str(root / "store"), "--json")
        whole = checked.returncode == 0 and json.loads(checked.stdout)["vectors"] == "whole"
        clean = kotae("ingest", str(root / "docs"), "--store", str(root / "clean"), "--json")
        same = clean.returncode == 0 and state(root / "store") == state(root / "clean")
    latency = {key: {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000), "p95_ms": round(percentile(v, 95) * 1000)}
               for key, v in sorted(load.latencies.items())}
    report = {"clients": args.clients, "runs": runs, "errors": len(load.errors),
              "error_kinds": sorted(set(load.errors)), "latency": latency, "traceback_in_server_log": traceback,
              "store_whole": whole, "equals_clean_run": same}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0 if not load.errors and whole and same and all(r["status"] == "done" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
