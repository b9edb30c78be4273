"""A damaged vector index is rebuilt from the catalogue (`kotae repair`, or the next run by itself), and ends
in the state of a clean run; searches meanwhile answer from BM25 instead of crashing. Chroma's files are damaged
the way a full disk or a killed write leaves them: truncated, or overwritten with garbage (which made Chroma's
native code segfault in any process that opened them).

Real stores in tmp_path, the real `kotae` command in processes of its own, the real app.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from bulk_documents import add_bulk_documents
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from store_checks import REPO, dense_works, hits, kotae, state

from ingest.jobs import JobRunner
from ingest.pipeline import run_ingest, run_repair
from kotae.index.store import StorePaths
from kotae.settings import load_settings
from service.app import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus and 120 bulk documents (over 2,000 chunks: Chroma has written its index files) in a store."""
    root = tmp_path_factory.mktemp("clean")
    shutil.copytree(REPO / "corpus", root / "docs")
    add_bulk_documents(root / "docs" / "bulk", 120)
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        assert run_ingest([root / "docs"], load_settings(root / "store")).failed == []
    return root


def _copy(clean: Path, tmp_path: Path) -> Path:
    shutil.copytree(clean / "store", tmp_path / "store")
    return tmp_path / "store"


def _segment(store: Path) -> Path:
    """Chroma's index folder for the chunk collection (named by a UUID)."""
    (segment,) = [p for p in (store / "chroma").iterdir() if p.is_dir()]
    return segment


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _garbage(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.seek(min(100_000, path.stat().st_size // 3))
        handle.write(os.urandom(100_000))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "chroma.sqlite3 truncated": lambda store: _truncate(store / "chroma" / "chroma.sqlite3"),
    "header.bin truncated": lambda store: _truncate(_segment(store) / "header.bin"),
    "data_level0.bin overwritten": lambda store: _garbage(_segment(store) / "data_level0.bin"),
    "data_level0.bin truncated": lambda store: _truncate(_segment(store) / "data_level0.bin"),
    "index_metadata.pickle truncated": lambda store: _truncate(_segment(store) / "index_metadata.pickle"),
    "length.bin truncated": lambda store: _truncate(_segment(store) / "length.bin"),
    "the whole folder gone": lambda store: shutil.rmtree(store / "chroma"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_kotae_repair_rebuilds_damaged_vectors_without_embedding(clean: Path, tmp_path: Path, damage: str) -> None:
    store = _copy(clean, tmp_path)
    DAMAGE[damage](store)

    searched = kotae("search", "書かない窓口の実績", "--store", str(store), "--json")
    assert searched.returncode == 0, searched.stderr  # BM25 alone, never a crash
    assert json.loads(searched.stdout)["hits"]

    repaired = kotae("repair", "--store", str(store), "--json")
    assert repaired.returncode == 0, repaired.stderr
    summary = json.loads(repaired.stdout)
    assert summary["vectors"] == "rebuilt" and summary["embedded_chunks"] == 0, summary
    assert state(store) == state(clean / "store")
    assert hits(store) == hits(clean / "store")
    assert dense_works(store)
    again = kotae("repair", "--store", str(store), "--json")
    assert json.loads(again.stdout)["vectors"] == "whole"


def test_the_next_run_repairs_by_itself(clean: Path, tmp_path: Path) -> None:
    store = _copy(clean, tmp_path)
    DAMAGE["header.bin truncated"](store)
    run = kotae("ingest", str(clean / "docs"), "--store", str(store), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert "damaged" in summary["repaired"] and summary["unchanged"] == 126 and summary["embedded_chunks"] == 0
    assert state(store) == state(clean / "store")
    assert hits(store) == hits(clean / "store")
    assert [p.name for p in store.iterdir() if p.name.startswith("chroma")] == ["chroma-2"]  # the damaged one went


def test_a_served_store_answers_while_damaged_and_a_job_repairs_it(clean: Path, tmp_path: Path) -> None:
    store = _copy(clean, tmp_path)
    DAMAGE["data_level0.bin overwritten"](store)
    settings = load_settings(store)
    with TestClient(create_app(settings, JobRunner(settings))) as client:
        searcher = client.app.state.searcher  # type: ignore[attr-defined]
        answered = client.post("/api/search", json={"query": "書かない窓口の実績"})
        assert answered.status_code == 200 and answered.json()["hits"]
        assert searcher._snapshot.vectors is None  # the damaged files were never opened in this process
        job = client.post("/api/admin/jobs", json={"kind": "repair"}).json()
        while job["status"] == "running":
            time.sleep(0.2)
            job = client.get(f"/api/admin/jobs/{job['id']}").json()
        assert job["status"] == "done" and job["summary"]["vectors"] == "rebuilt", job
        assert client.post("/api/search", json={"query": "書かない窓口の実績"}).status_code == 200
        assert searcher._snapshot.vectors is not None
    assert state(store) == state(clean / "store")


def test_a_forced_repair_of_a_whole_store_changes_nothing_it_holds(clean: Path, tmp_path: Path) -> None:
    store = _copy(clean, tmp_path)
    summary = run_repair(load_settings(store), force=True)
    assert summary.vectors == "rebuilt" and summary.embedded_chunks == 0
    assert state(store) == state(clean / "store")
    assert (StorePaths(store).root / "chroma-2").is_dir() and not (StorePaths(store).root / "chroma").exists()
