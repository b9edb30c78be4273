"""One process holds an embedded store: `kotae serve` for as long as it serves. Re-ingestion from its admin page
runs inside it, `kotae ingest` / `remove` / `repair` on the same machine hand their runs to it, other commands are
refused with a reason naming it; under a search/ask load, re-ingestions from both leave no error and a store
equal to a clean run's. (The probe that found the old design broke the store ran exactly this.)

A real `kotae serve` on loopback, the real `kotae` command in processes of its own, real files.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bulk_documents import MINUTES, add_bulk_documents
from kotae_env import clear_kotae_env
from store_checks import REPO, clean_env, kotae, state

from eval.processes import free_port
from ingest.pipeline import run_ingest
from kotae.settings import load_settings

pytestmark = pytest.mark.slow


def _call(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class Served:
    """`kotae serve` over a store of its own, built by `kotae ingest` from a copy of the corpus."""

    def __init__(self, root: Path) -> None:
        self.docs = root / "docs"
        shutil.copytree(REPO / "corpus", self.docs)
        self.store = root / "store"
        built = kotae("ingest", str(self.docs), "--store", str(self.store))
        assert built.returncode == 0, built.stderr
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = root / "serve.log"
        with open(self.log, "w", encoding="utf-8") as out:
            env = clean_env(KOTAE_RATE_LIMIT_PER_MINUTE="0")
            self.proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--store", str(self.store),
                                          "--port", str(port)], cwd=REPO, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(encoding="utf-8")
            try:
                if _call(self.base, "GET", "/healthz")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise AssertionError(self.log.read_text(encoding="utf-8"))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        return _call(self.base, method, path, body)

    def wait_for(self, job: dict[str, Any]) -> dict[str, Any]:
        while job["status"] == "running":
            time.sleep(0.2)
            job = self.call("GET", f"/api/admin/jobs/{job['id']}")[1]
        return job

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.stop()


def test_command_line_runs_go_through_the_server_that_holds_the_store(served: Served) -> None:
    notice = served.docs / "notices/図書館からのお知らせ.txt"
    notice.parent.mkdir()
    notice.write_text("図書館からのお知らせ\n\n電子書籍サービスを来月から始めます。\n", encoding="utf-8")
    ingested = kotae("ingest", str(served.docs), "--store", str(served.store), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert "running this as one of its jobs" in ingested.stderr and served.base in ingested.stderr
    assert json.loads(ingested.stdout)["added"] == 1
    status, found = served.call("POST", "/api/search", {"query": "電子書籍サービス", "k": 3})
    assert status == 200 and found["hits"][0]["source"] == "notices/図書館からのお知らせ.txt"

    removed = kotae("remove", "notices/図書館からのお知らせ.txt", "--store", str(served.store), "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout)["removed"] == 1, removed.stderr
    repaired = kotae("repair", "--store", str(served.store), "--json")
    assert repaired.returncode == 0 and json.loads(repaired.stdout)["vectors"] == "whole", repaired.stderr
    failed = kotae("remove", "no/such.txt", "--store", str(served.store))
    assert failed.returncode == 2 and "not indexed: no/such.txt" in failed.stderr

    refused = kotae("search", "電子書籍", "--store", str(served.store))
    assert refused.returncode == 2
    assert f"is in use by `kotae serve` (pid {served.proc.pid}" in refused.stderr and served.base in refused.stderr

    # The store is its owner's alone: the folder, the lock holding the server's control secret, the files.
    assert stat.S_IMODE(served.store.stat().st_mode) == 0o700
    for name in ("owner.lock", "catalog.sqlite", "folders.json"):
        assert stat.S_IMODE((served.store / name).stat().st_mode) == 0o600, name
    status, _ = served.call("POST", "/api/admin/jobs", {"kind": "remove", "sources": []})
    assert status == 422


def test_reingestions_from_the_admin_page_and_the_command_line_under_load(served: Served, tmp_path: Path) -> None:
    """Three admin jobs and three command-line runs, each after the documents changed, while two clients search
    and ask without pause: no request fails, every run is done, and the store equals a clean run's."""
    minutes = served.docs / MINUTES
    original = minutes.read_text(encoding="utf-8")
    failures: list[str] = []
    answered = [0]
    stop = threading.Event()

    def load(question: str) -> None:
        while not stop.is_set():
            for path, body in (("/api/search", {"query": question, "k": 10}), ("/api/ask", {"question": question})):
                try:
                    status, payload = served.call("POST", path, body)
                except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                    failures.append(f"{path}: {exc}")
                    continue
                if status != 200:
                    failures.append(f"{path}: {status} {payload}")
                answered[0] += 1

    clients = [threading.Thread(target=load, args=(q,)) for q in ("書かない窓口の実績は", "生成ＡＩの試行の結果")]
    for client in clients:
        client.start()
    try:
        for round_ in range(6):
            minutes.write_text(original.replace("書かない窓口", f"書かない窓口（第{round_}版）"), encoding="utf-8")
            shutil.rmtree(served.docs / "bulk", ignore_errors=True)
            add_bulk_documents(served.docs / "bulk", 10 + 5 * round_)
            if round_ % 2 == 0:
                status, job = served.call("POST", "/api/admin/jobs")
                assert status == 202, job
                job = served.wait_for(job)
                assert job["status"] == "done" and job["summary"]["failed"] == [], job
            else:
                run = kotae("ingest", "--all", "--store", str(served.store), "--json")
                assert run.returncode == 0, run.stderr
                assert json.loads(run.stdout)["failed"] == []
    finally:
        stop.set()
        for client in clients:
            client.join()
    assert failures == [], failures[:5]
    assert answered[0] > 20
    served.stop()
    assert "Traceback" not in served.log.read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        run_ingest([served.docs], load_settings(tmp_path / "clean"))
    assert state(served.store) == state(tmp_path / "clean")
    checked = kotae("repair", "--store", str(served.store), "--json")
    assert json.loads(checked.stdout)["vectors"] == "whole", checked.stdout


def test_the_server_waits_for_a_command_line_run_to_end(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(REPO / "corpus", docs)
    store = tmp_path / "store"
    assert kotae("ingest", str(docs), "--store", str(store)).returncode == 0
    add_bulk_documents(docs / "bulk", 60)
    run = subprocess.Popen([sys.executable, "-m", "cli.main", "ingest", str(docs), "--store", str(store)], cwd=REPO,
                           env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert run.stderr is not None
    while "[1/" not in run.stderr.readline():  # the run holds the store once it writes its first document
        assert run.poll() is None
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--store", str(store), "--port",
                                   str(port)], cwd=REPO, env=clean_env(), stdout=out, stderr=out)
    try:
        assert run.wait(timeout=300) == 0, run.stderr.read()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, listed = _call(f"http://127.0.0.1:{port}", "GET", "/api/documents")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        assert status == 200 and len(listed["documents"]) == 66  # it serves what the run committed
        assert "to let go of the store" in log.read_text(encoding="utf-8")
    finally:
        server.terminate()
        server.wait(timeout=60)
