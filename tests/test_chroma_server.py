"""Scale-out on a Chroma server (`KOTAE_CHROMA_URL`), on loopback with real processes: a real `chroma run`
server, real `kotae serve` replicas and real `kotae ingest` runs.

- replicas sharing one server return the same hits, the same hits an embedded store returns, and agree again
  after a re-ingestion;
- a re-ingestion under concurrent queries to two replicas causes no error, and no response mixes two versions
  of a document;
- the Chroma server killed (-9) mid-ingest, restarted, and the run repeated: the index equals a clean run's,
  with no chunk record left over; the same after the ingestion process itself is killed;
- one replica killed under load: the other keeps answering every request.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from bulk_documents import MINUTES, add_bulk_documents
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from eval.processes import ChromaServer, ServiceProcess, clean_env
from ingest.pipeline import correct_document, remove_documents, run_ingest
from kotae.errors import SettingsError, StoreError
from kotae.index.remote import RECORDS_SCHEMA, RemoteCatalog
from kotae.settings import load_settings
from service.api.errors import STORE_UNAVAILABLE
from service.app import create_app
from service.reader.search import Searcher

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
QUERIES = ["書かない窓口の実績", "生成ＡＩの試行", "個人情報の入力", "子育て支援の相談", "DX推進計画の目標"]


def _ingest_cli(docs: Path, store: Path, url: str) -> subprocess.Popen[str]:
    """`kotae ingest` in its own process, printing one JSON line per file."""
    return subprocess.Popen([sys.executable, "-m", "cli.main", "ingest", str(docs), "--store", str(store),
                             "--progress", "jsonl"], env=clean_env({"KOTAE_CHROMA_URL": url}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_files(run: subprocess.Popen[str], files: int) -> None:
    """Read the run's progress (JSON lines on stderr) until `files` files are done."""
    assert run.stderr is not None
    done = 0
    for line in run.stderr:
        if '"event": "file"' in line:
            done += 1
            if done >= files:
                return
    raise AssertionError(f"the run ended after {done} files")


def _state(url: str) -> dict[str, Any]:
    """Everything a reader can see on the server, and the records nobody lists."""
    catalog = RemoteCatalog(url)
    documents = catalog.documents()
    chunks = {s: [(c.chunk_id, c.text, c.start, c.end) for c in catalog.chunks_of(s)] for s in documents}
    listed = {c for items in chunks.values() for c, *_ in items}
    return {
        "documents": {s: (r.version, r.n_chunks, r.title, r.access_groups) for s, r in documents.items()},
        "chunks": chunks,
        "unlisted": sorted(set(catalog.vectors_store.all_ids()) - listed),
    }


def _drop_uncommitted(docs: Path, url: str) -> None:
    """Delete the bulk files the server has not committed, so any chunk records written for them are orphans."""
    committed = set(RemoteCatalog(url).documents())
    for path in (docs / "bulk").iterdir():
        if path.relative_to(docs).as_posix() not in committed:
            path.unlink()


def test_chunk_records_a_dead_run_left_behind_are_deleted_by_the_next_run(
        tmp_path: Path, docs: Path, server_env: str) -> None:
    """A run killed between writing a document's chunks and committing it leaves unlisted records and its lease
    (here: those a dead process left), and the next run deletes them."""
    url = server_env
    run_ingest([docs], load_settings(tmp_path / "writer-local"))
    catalog = RemoteCatalog(url)
    source = sorted(catalog.documents())[0]
    kept = catalog.chunks_of(source)[:2]
    orphans = [replace(c, chunk_id=f"orphan-{i}", source="gone/消えた資料.txt") for i, c in enumerate(kept)]
    vectors = catalog.vectors_store.embeddings([c.chunk_id for c in kept])
    catalog.vectors_store.upsert(orphans, np.stack([vectors[c.chunk_id] for c in kept]),
                           [["語"]] * len(orphans), ["h"] * len(orphans))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lease = {"host": socket.gethostname(), "pid": int(dead.stdout), "expires": time.time() + 300}
    catalog.set_meta("ingest_lease", json.dumps(lease))
    assert len(_state(url)["unlisted"]) == 2

    summary = run_ingest([docs], load_settings(tmp_path / "writer-local"))
    assert summary.unchanged == len(catalog.documents())
    assert _state(url)["unlisted"] == []
    assert catalog.get_meta("ingest_lease") is None, "a finished run must release its lease"


def test_a_correction_on_the_server_is_applied_without_embedding_and_kept_by_the_next_run(
        tmp_path: Path, docs: Path, server_env: str) -> None:
    """An admin's correction is kept on the server (`correction:SOURCE`), read back by every replica's catalogue,
    applied by re-reading the document (nothing embedded, no chunk record left over) and kept by later runs."""
    url = server_env
    settings = load_settings(tmp_path / "writer-local")
    run_ingest([docs], settings)
    source = "memos/窓口対応メモ.txt"
    summary = correct_document(source, {"title": "窓口の対応記録", "doc_type": "notice"}, "admin1", settings)
    assert (summary.updated, summary.failed, summary.embedded_chunks) == (1, [], 0)
    catalog = RemoteCatalog(url)
    record = catalog.documents()[source]
    assert (record.title, record.doc_type) == ("窓口の対応記録", "notice")
    assert record.field_sources["title"] == record.field_sources["doc_type"] == "correction"
    assert {f: (c.value, c.by) for f, c in catalog.corrections()[source].items()} == {
        "doc_type": ("notice", "admin1"), "title": ("窓口の対応記録", "admin1")}
    assert {c.title for c in catalog.chunks_of(source)} == {"窓口の対応記録"}
    assert _state(url)["unlisted"] == []
    again = run_ingest([docs], settings)
    assert (again.unchanged, again.embedded_chunks) == (len(catalog.documents()), 0)
    assert RemoteCatalog(url).documents()[source].title == "窓口の対応記録"

    correct_document(source, {"title": None}, "admin1", settings)
    assert set(RemoteCatalog(url).corrections()[source]) == {"doc_type"}
    remove_documents([source], settings)
    assert source not in RemoteCatalog(url).corrections()


def test_the_servers_records_carry_their_schema_and_a_newer_one_is_refused(tmp_path: Path, docs: Path,
                                                                            server_env: str) -> None:
    """Records written before versions (no `meta:schema`) open and are stamped with this version's; records of a
    newer Kotae are refused with what to do, and nothing of them is changed."""
    url = server_env
    run_ingest([docs], load_settings(tmp_path / "writer-local"))
    catalog = RemoteCatalog(url)
    assert catalog.get_meta("schema") == str(RECORDS_SCHEMA)
    documents = catalog.documents()
    catalog._records.delete(ids=["meta:schema"])  # as a server written before versions holds them
    assert RemoteCatalog(url).get_meta("schema") == str(RECORDS_SCHEMA)
    assert RemoteCatalog(url).documents() == documents
    catalog.set_meta("schema", str(RECORDS_SCHEMA + 1))
    with pytest.raises(StoreError, match=rf"newer Kotae \(records schema {RECORDS_SCHEMA + 1}; this one knows up to "
                                         rf"{RECORDS_SCHEMA}\): upgrade Kotae"):
        RemoteCatalog(url)
    assert catalog.get_meta("schema") == str(RECORDS_SCHEMA + 1)


def _hits(url: str, query: str, client: httpx.Client | None = None) -> list[str]:
    response = (client or httpx).post(f"{url}/api/search", json={"query": query, "k": 10}, timeout=30)
    assert response.status_code == 200, response.text
    return [h["chunk_id"] for h in response.json()["hits"]]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "corpus", tmp_path / "docs")
    return tmp_path / "docs"


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log") as server:
        yield server


@pytest.fixture
def server_env(chroma: ChromaServer) -> Iterator[str]:
    """This test process's settings point at the server (for in-process ingestion and searchers)."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_CHROMA_URL", chroma.url)
        yield chroma.url


def _replica(tmp_path: Path, name: str, url: str) -> ServiceProcess:
    env = {"KOTAE_CHROMA_URL": url, "KOTAE_RATE_LIMIT_PER_MINUTE": "0", "KOTAE_EMBEDDER_THREADS": "1"}
    return ServiceProcess(tmp_path / f"{name}-local", tmp_path / f"{name}.log", env)


def test_replicas_on_one_server_return_the_same_hits_as_an_embedded_store_and_agree_after_reingestion(
        tmp_path: Path, docs: Path, server_env: str) -> None:
    url = server_env
    settings = load_settings(tmp_path / "writer-local")
    run_ingest([docs], settings)
    with pytest.MonkeyPatch.context() as mp:  # the same documents in an embedded store, for comparison
        clear_kotae_env(mp)
        embedded = load_settings(tmp_path / "embedded")
        run_ingest([docs], embedded)
        embedded_searcher = Searcher(embedded)
    with _replica(tmp_path, "a", url) as a, _replica(tmp_path, "b", url) as b:
        for query in QUERIES:
            expected = [h.chunk.chunk_id for h in embedded_searcher.search(query, k=10)]
            assert expected, query
            assert _hits(a.url, query) == expected, query
            assert _hits(b.url, query) == expected, query

        minutes = docs / MINUTES
        minutes.write_text(minutes.read_text(encoding="utf-8").replace("書かない窓口", "書かない受付窓口"),
                           encoding="utf-8")
        summary = run_ingest([docs], settings)
        assert summary.updated == 1 and not summary.failed
        after_a = {q: _hits(a.url, q) for q in QUERIES}
        assert after_a == {q: _hits(b.url, q) for q in QUERIES}, "the replicas disagree after an ingestion"
        texts = httpx.post(f"{a.url}/api/search", json={"query": "書かない受付窓口", "k": 10}).json()["hits"]
        assert any("書かない受付窓口" in h["text"] for h in texts), "replica A still serves the old minutes"


def test_a_second_ingestion_is_refused_while_one_holds_the_lease(tmp_path: Path, docs: Path, server_env: str) -> None:
    url = server_env
    add_bulk_documents(docs / "bulk", 30)
    run = _ingest_cli(docs, tmp_path / "first-local", url)
    try:
        _wait_for_files(run, 2)
        with pytest.raises(StoreError, match="is being ingested by pid"):
            run_ingest([docs], load_settings(tmp_path / "second-local"))
    finally:
        run.kill()
        run.wait()


def test_reingestion_under_concurrent_queries_to_two_replicas_has_no_errors(
        tmp_path: Path, docs: Path, server_env: str) -> None:
    url = server_env
    run_ingest([docs], load_settings(tmp_path / "writer-local"))
    minutes = docs / MINUTES
    old_text = minutes.read_text(encoding="utf-8")
    new_text = old_text.replace("書かない窓口", "書かない受付窓口")
    with _replica(tmp_path, "a", url) as a, _replica(tmp_path, "b", url) as b:
        minutes.write_text(new_text, encoding="utf-8")
        add_bulk_documents(docs / "bulk", 40)
        errors: list[str] = []
        answered = [0]
        stop = threading.Event()

        def query(base: str) -> None:
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    for path, body in (("/api/search", {"query": "書かない窓口の実績", "k": 10}),
                                       ("/api/ask", {"question": "書かない窓口の実績は"})):
                        try:
                            response = client.post(base + path, json=body)
                        except httpx.HTTPError as exc:
                            errors.append(f"{base}{path}: {type(exc).__name__}: {exc}")
                            continue
                        if response.status_code != 200:
                            errors.append(f"{base}{path}: {response.status_code} {response.text[:200]}")
                            continue
                        answered[0] += 1
                        if path == "/api/search":
                            texts = [h["text"] for h in response.json()["hits"] if h["source"] == MINUTES]
                            if not (all(t in old_text for t in texts) or all(t in new_text for t in texts)):
                                errors.append("a response mixed chunks of two versions of the minutes")

        threads = [threading.Thread(target=query, args=(r.url,)) for r in (a, b, a, b)]
        for t in threads:
            t.start()
        try:
            run = _ingest_cli(docs, tmp_path / "writer-local", url)
            _, stderr = run.communicate(timeout=600)
            assert run.returncode == 0, stderr
            time.sleep(1)  # queries go on against the new generation too
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert not errors, errors[:5]
        assert answered[0] > 20
        assert _hits(a.url, "書かない受付窓口") == _hits(b.url, "書かない受付窓口")


def test_chroma_killed_mid_ingest_then_restarted_and_rerun_equals_a_clean_run(
        tmp_path: Path, docs: Path, chroma: ChromaServer) -> None:
    add_bulk_documents(docs / "bulk", 40)
    run = _ingest_cli(docs, tmp_path / "writer-local", chroma.url)
    _wait_for_files(run, 8)
    chroma.kill()
    _, stderr = run.communicate(timeout=120)
    assert run.returncode != 0, "the run went on without its store"
    assert chroma.url in stderr and "Traceback" not in stderr, stderr[-2000:]

    chroma.start()
    _drop_uncommitted(docs, chroma.url)  # what the killed run had written of them is now nobody's
    rerun = _ingest_cli(docs, tmp_path / "writer-local", chroma.url)
    _, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stderr

    with ChromaServer(tmp_path / "clean-chroma", tmp_path / "clean.log") as clean:
        once = _ingest_cli(docs, tmp_path / "clean-local", clean.url)
        _, stderr = once.communicate(timeout=600)
        assert once.returncode == 0, stderr
        expected = _state(clean.url)
    got = _state(chroma.url)
    assert got["unlisted"] == [], "chunk records of the killed run were left behind"
    assert got["documents"] == expected["documents"]
    assert got["chunks"] == expected["chunks"]
    assert len(got["documents"]) >= 6 + 8


def test_ingestion_killed_leaves_the_previous_state_and_the_next_run_finishes_it(
        tmp_path: Path, docs: Path, server_env: str) -> None:
    url = server_env
    run_ingest([docs], load_settings(tmp_path / "writer-local"))
    before = _state(url)
    minutes = docs / MINUTES
    minutes.write_text(minutes.read_text(encoding="utf-8").replace("書かない窓口", "書かない受付窓口"),
                       encoding="utf-8")
    add_bulk_documents(docs / "bulk", 40)
    run = _ingest_cli(docs, tmp_path / "writer-local", url)
    _wait_for_files(run, 5)
    run.send_signal(signal.SIGKILL)
    run.wait()

    middle = _state(url)
    for source, items in before["chunks"].items():  # every document is whole: its old chunks or its new ones
        assert source in middle["chunks"]
        assert middle["chunks"][source] == items or middle["documents"][source] != before["documents"][source]

    _drop_uncommitted(docs, url)
    summary = run_ingest([docs], load_settings(tmp_path / "writer-local"))  # takes over the dead run's lease
    assert not summary.failed
    after = _state(url)
    assert after["unlisted"] == []
    bulk = {p.relative_to(docs).as_posix() for p in (docs / "bulk").iterdir()}
    assert set(after["documents"]) == set(before["documents"]) | bulk
    assert any("書かない受付窓口" in text for _, text, *_ in after["chunks"][MINUTES])


def test_one_replica_killed_under_load_the_other_keeps_answering(tmp_path: Path, docs: Path, server_env: str) -> None:
    url = server_env
    run_ingest([docs], load_settings(tmp_path / "writer-local"))
    with _replica(tmp_path, "a", url) as a, _replica(tmp_path, "b", url) as b:
        results: dict[str, list[int]] = {a.url: [], b.url: []}
        failures_b: list[str] = []
        stop = threading.Event()

        def load(base: str) -> None:
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    try:
                        status = client.post(f"{base}/api/search", json={"query": "生成ＡＩの試行", "k": 5}).status_code
                    except httpx.HTTPError as exc:
                        status = -1
                        if base == b.url:
                            failures_b.append(f"{type(exc).__name__}: {exc}")
                    results[base].append(status)
                    if base == a.url and status == -1:
                        time.sleep(0.05)  # a load balancer would take it out of rotation

        threads = [threading.Thread(target=load, args=(r.url,)) for r in (a, a, b, b)]
        for t in threads:
            t.start()
        time.sleep(3)
        served_before_kill = len(results[b.url])
        a.kill()
        time.sleep(4)
        stop.set()
        for t in threads:
            t.join()
        assert not failures_b, failures_b[:3]
        assert all(s == 200 for s in results[b.url])
        assert len(results[b.url]) > served_before_kill + 10, "replica B stopped answering after A died"
        assert -1 in results[a.url], "replica A was not killed"


def test_while_the_chroma_server_is_down_requests_get_503_and_answers_resume_after_its_restart(
        tmp_path: Path, docs: Path, chroma: ChromaServer, server_env: str) -> None:
    settings = load_settings(tmp_path / "local")
    run_ingest([docs], settings)
    with TestClient(create_app(settings)) as client:
        body = {"query": "生成ＡＩの試行", "k": 5}
        expected = client.post("/api/search", json=body).json()["hits"]
        assert expected
        chroma.kill()
        for path, request in (("/api/search", body), ("/api/ask", {"question": "生成ＡＩの試行の結果は"})):
            response = client.post(path, json=request)
            assert response.status_code == 503, (path, response.text)
            assert response.json()["detail"] == STORE_UNAVAILABLE
            assert chroma.url not in response.text  # the store's address stays in the log
        chroma.start()
        assert client.post("/api/search", json=body).json()["hits"] == expected


@pytest.mark.parametrize("value", ["127.0.0.1:8001", "ftp://127.0.0.1:8001", "http://127.0.0.1:8001/api/v2"])
def test_a_chroma_url_that_is_not_a_server_address_is_refused_naming_the_variable(value: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_CHROMA_URL", value)
        with pytest.raises(SettingsError, match=r"KOTAE_CHROMA_URL: .*http://127\.0\.0\.1:8001"):
            load_settings()
        mp.setenv("KOTAE_CHROMA_URL", "http://10.0.0.5:8001/")
        assert load_settings().store.chroma_url == "http://10.0.0.5:8001"
