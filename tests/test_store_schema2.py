"""A store written by the code of the release before corrections (tests/fixtures/store-schema2.tar.gz, catalogue
schema 2, see the fixtures' README) keeps working: it opens and is migrated in place (it gains the `corrections`
table, empty; its documents are as they were), answers from its own chunks, re-ingesting it embeds nothing, and
an admin's correction made on it is applied and kept by the next run."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from kotae_env import clear_kotae_env
from store_checks import hits, kotae, text_hashes, unpack_previous

from ingest.pipeline import correct_document
from kotae.index.catalog import SCHEMA_VERSION, Catalog
from kotae.index.store import StorePaths
from kotae.settings import load_settings

FIXTURE = Path(__file__).parent / "fixtures" / "store-schema2.tar.gz"
MEMO = "memos/窓口対応メモ.txt"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _document_rows(path: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT * FROM documents ORDER BY source").fetchall()


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """The fixture unpacked, its documents' folder pointed at where they now are; returns the folder."""
    unpack_previous(FIXTURE, tmp_path, schema=2)
    with closing(sqlite3.connect(tmp_path / "store" / "catalog.sqlite")) as db:
        assert "corrections" not in _tables(db)
    return tmp_path


def test_it_opens_migrated_with_no_corrections_and_answers_from_its_own_chunks(previous: Path) -> None:
    store = previous / "store"
    before = _document_rows(store / "catalog.sqlite")
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        committed = set(catalog.committed_ids())
        assert catalog.corrections() == {}
    with closing(sqlite3.connect(store / "catalog.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert "corrections" in _tables(db)
    assert _document_rows(store / "catalog.sqlite") == before  # the migration adds a table, nothing else
    found = hits(store)
    assert all(len(f) == 10 and set(f) <= committed for f in found)
    listed = kotae("documents", "--store", str(store), "--json")
    assert listed.returncode == 0, listed.stderr
    documents = json.loads(listed.stdout)
    assert len(documents) == 6 and all(d["corrections"] == {} for d in documents)
    assert {d["field_sources"]["doc_type"] for d in documents} <= {"text", "override"}


def test_re_ingesting_it_embeds_only_what_this_version_cuts_differently_then_nothing(previous: Path) -> None:
    """Pipeline 5 reads rules by article: the 基準's passages are new and embedded once; every other chunk keeps
    its vector, and the run after changes nothing."""
    store, docs = previous / "store", previous / "docs"
    before = text_hashes(store)
    first = json.loads(kotae("ingest", str(docs), "--store", str(store), "--json").stdout)
    assert (first["added"], first["removed"], first["failed"], first["upgraded"]) == (0, 0, [], 6)
    new = {h: s for h, s in text_hashes(store).items() if h not in before}
    assert set(new.values()) == {"guidelines/個人情報の取扱い基準.txt"} and first["embedded_chunks"] == len(new)
    second = json.loads(kotae("ingest", str(docs), "--store", str(store), "--json").stdout)
    assert (second["unchanged"], second["upgraded"], second["updated"], second["embedded_chunks"]) == (6, 0, 0, 0)


def test_a_correction_on_it_is_applied_and_the_next_run_keeps_it(previous: Path) -> None:
    store, docs = previous / "store", previous / "docs"
    summary = correct_document(MEMO, {"title": "窓口の対応記録", "municipality": "みずほ野市"}, "admin1",
                               load_settings(store))
    assert (summary.failed, summary.updated + summary.upgraded) == ([], 1)
    run = kotae("ingest", str(docs), "--store", str(store), "--json")
    assert run.returncode == 0, run.stderr
    rerun = json.loads(run.stdout)
    assert (rerun["added"], rerun["removed"], rerun["failed"]) == (0, 0, [])
    assert rerun["unchanged"] >= 1  # the corrected memo, at least (others may be re-read by a newer pipeline)
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        memo = catalog.documents()[MEMO]
        assert {c.title for c in catalog.chunks_of(MEMO)} == {"窓口の対応記録"}
    assert (memo.title, memo.municipality) == ("窓口の対応記録", "みずほ野市")
    assert memo.field_sources["title"] == memo.field_sources["municipality"] == "correction"
