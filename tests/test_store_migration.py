"""A store written by the code before the store had a schema version (tests/fixtures/store-v1.tar.gz, see its
README) keeps working: it opens and answers from its own chunks; the next run re-parses its documents once
(PIPELINE_VERSION changed since it was written), embeds only the chunks whose text the new parse changed, copies
the other vectors into the catalogue (so a later repair embeds nothing), replaces its BM25 index written in
bm25s's format, and leaves it answering as a store built now from the same documents does. A store written by a
newer Kotae is refused with a reason."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from kotae_env import clear_kotae_env
from store_checks import hits, kotae, state, unpack_previous

from ingest.pipeline import run_ingest
from kotae.errors import StoreError
from kotae.index import lexical
from kotae.index.catalog import SCHEMA_VERSION, Catalog
from kotae.index.store import StorePaths, open_vectors
from kotae.settings import load_settings
from service.reader.search import Searcher

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1.tar.gz"
WRITTEN_AT = "/tmp/kotae-legacy/docs"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """The fixture unpacked, its documents' folder pointed at where they now are; returns the folder."""
    unpack_previous(FIXTURE, tmp_path, schema=0)  # written before versions
    return tmp_path


def test_a_store_of_the_previous_code_answers_as_one_built_now(legacy: Path, tmp_path: Path) -> None:
    store = legacy / "store"
    assert lexical.load(StorePaths(store).lexical, 6) is None  # bm25s's format: built anew in memory
    fresh = tmp_path / "fresh"
    assert run_ingest([legacy / "docs"], load_settings(fresh)).failed == []
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        committed = set(catalog.committed_ids())
    before = hits(store)  # its own chunks, found for every query
    assert all(len(found) == 10 and set(found) <= committed for found in before)
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        assert catalog.get_meta("vectors_backfill") == "needed"
    with closing(sqlite3.connect(store / "catalog.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    run = kotae("ingest", str(legacy / "docs"), "--store", str(store), "--json")
    assert run.returncode == 0, run.stderr
    assert hits(store) == hits(fresh)


def test_the_next_run_copies_its_vectors_so_a_repair_embeds_nothing(legacy: Path, tmp_path: Path) -> None:
    store = legacy / "store"
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        old_texts = {c.text for c in catalog.chunks(catalog.committed_ids()).values()}
    fresh = tmp_path / "fresh"
    assert run_ingest([legacy / "docs"], load_settings(fresh)).failed == []
    with closing(Catalog(StorePaths(fresh).catalog)) as catalog:
        new_texts = {c.text for c in catalog.chunks(catalog.committed_ids()).values()}
    run = kotae("ingest", str(legacy / "docs"), "--store", str(store), "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    # Every document is parsed anew once; only the chunks whose text the new parse changed are embedded.
    assert (summary["unchanged"], summary["embedded_chunks"]) == (0, len(new_texts - old_texts))
    assert len(new_texts - old_texts) < len(new_texts)
    paths = StorePaths(store)
    with closing(Catalog(paths.catalog)) as catalog:
        assert catalog.get_meta("vectors_backfill") == "done" and catalog.chunk_ids_without_vectors() == []
        ids = catalog.committed_ids()
        kept = catalog.vectors(ids)
        assert lexical.load(paths.lexical, catalog.generation()) is not None  # written anew, in our format
        vectors = open_vectors(paths, catalog)
        try:
            stored = vectors.embeddings(ids)
        finally:
            vectors.close()
    assert all(np.allclose(kept[c], stored[c], atol=1e-6) for c in ids)

    repaired = kotae("repair", "--force", "--store", str(store), "--json")
    assert repaired.returncode == 0 and json.loads(repaired.stdout)["embedded_chunks"] == 0, repaired.stderr
    assert state(store) == state(fresh)


def test_a_store_of_a_newer_kotae_is_refused(legacy: Path) -> None:
    with closing(sqlite3.connect(legacy / "store" / "catalog.sqlite")) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="written by a newer Kotae"):
        Searcher(load_settings(legacy / "store"))
    refused = kotae("ingest", str(legacy / "docs"), "--store", str(legacy / "store"))
    assert refused.returncode == 2 and "upgrade Kotae" in refused.stderr
