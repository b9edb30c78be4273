"""A store written by the code of the release before issue 15 (tests/fixtures/store-schema1.tar.gz, catalogue
schema 1, see the fixtures' README) keeps working: it opens and is migrated in place (new columns, the document
kinds renamed), answers from its own chunks, keeps its users and audit log, and re-ingesting its unchanged files
re-reads them once with this version's rules (titles, dates, kinds and municipalities from the documents
themselves) without embedding anything; the run after that changes nothing."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from kotae_env import clear_kotae_env
from store_checks import hits, kotae, text_hashes, unpack_previous

from kotae.auth import UserStore
from kotae.index.catalog import SCHEMA_VERSION, Catalog
from kotae.index.store import StorePaths
from kotae.types import DOC_TYPES
from service.audit import AuditLog

FIXTURE = Path(__file__).parent / "fixtures" / "store-schema1.tar.gz"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """The fixture unpacked, its documents' folder pointed at where they now are; returns the folder."""
    unpack_previous(FIXTURE, tmp_path, schema=1)
    with closing(sqlite3.connect(tmp_path / "store" / "catalog.sqlite")) as db:
        assert {r[0] for r in db.execute("SELECT doc_type FROM documents")} >= {"guideline", "document"}
    return tmp_path


def test_it_opens_migrated_and_answers_from_its_own_chunks(previous: Path) -> None:
    store = previous / "store"
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        committed = set(catalog.committed_ids())
        documents = catalog.documents()
    assert {d.doc_type for d in documents.values()} <= set(DOC_TYPES)  # guideline -> manual, document -> other
    assert documents["guidelines/生成AI利用ガイドライン.md"].doc_type == "manual"
    with closing(sqlite3.connect(store / "catalog.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    found = hits(store)
    assert all(len(f) == 10 and set(f) <= committed for f in found)
    searched = kotae("search", "生成AI 個人情報", "--store", str(store), "--json", "--filter", "doc_type=guideline")
    assert searched.returncode == 0, searched.stderr  # a filter by the old name means the kind it became
    tokens = (previous / "tokens.txt").read_text().split()
    users = UserStore(store)
    assert users.by_token(tokens[0]) is not None and users.by_token(tokens[0]).name == "tanaka"  # type: ignore[union-attr]
    assert users.check_password("tanaka", "legacy-password-2") is not None
    assert users.by_session(tokens[2]) is not None
    audit = AuditLog(store, 365)
    assert [e["question"] for e in audit.events()] == ["生成AIに個人情報を入力してよいか"]


def test_re_ingesting_it_re_reads_once_and_embeds_only_new_passages(previous: Path) -> None:
    store, docs = previous / "store", previous / "docs"
    before = text_hashes(store)
    first = kotae("ingest", str(docs), "--store", str(store), "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["added"], summary["updated"], summary["removed"], summary["failed"]) == (0, 0, 0, [])
    assert summary["upgraded"] == summary["documents"] == 6
    # Only passages this version cuts differently are embedded: the 基準, now read by article (pipeline 5);
    # every other chunk keeps its vector.
    new = {h: s for h, s in text_hashes(store).items() if h not in before}
    assert set(new.values()) == {"guidelines/個人情報の取扱い基準.txt"}
    assert summary["embedded_chunks"] == len(new)
    second = json.loads(kotae("ingest", str(docs), "--store", str(store), "--json").stdout)
    assert (second["unchanged"], second["upgraded"], second["updated"], second["embedded_chunks"]) == (6, 0, 0, 0)
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        documents = catalog.documents()
    plan = documents["plans/DX推進計画.pdf"]
    assert (plan.doc_type, plan.date, plan.municipality) == ("plan", "2023-03-01", "みずほ野市")  # 令和５年３月策定
    assert plan.field_sources["date"] == "text"
    assert documents["guidelines/生成AI利用ガイドライン.md"].field_sources["doc_type"] == "override"
