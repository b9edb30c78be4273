"""Access control fails closed where the probe found it open: links, sub-folders given on their own, and
scores that depended on documents hidden from the user.

Real files in tmp_path, real stores, the real app with KOTAE_AUTH=on and staff tokens.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from access_fixtures import CODE_WORD, REPO, SECRET_MARKERS, add_users, bearer, build_docs
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from ingest.jobs import JobRunner
from ingest.pipeline import run_ingest
from kotae.index.catalog import Catalog
from kotae.settings import load_settings
from service.answer import Answerer
from service.app import create_app
from service.filters import Filters
from service.reader.search import Searcher

pytestmark = pytest.mark.slow
LINK = "faq/公開リンク.txt"
NOTICE = "hr/人事異動内示.txt"
STAFF = ("everyone", "総務課")  # what a 総務課 member sees


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def _documents(store: Path) -> dict[str, tuple[str, ...]]:
    catalog = Catalog(store / "catalog.sqlite")
    try:
        return {s: r.access_groups for s, r in catalog.documents().items()}
    finally:
        catalog.close()


def _secrets_in(payload: Any) -> list[str]:
    text = json.dumps(payload, ensure_ascii=False)
    for echoed in ('"query": ', '"question": '):  # the user's own words are echoed back
        if echoed in text:
            payload = {k: v for k, v in payload.items() if k not in ("query", "question")}
            text = json.dumps(payload, ensure_ascii=False)
    return [m for m in SECRET_MARKERS if m in text]


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[tuple[TestClient, Path, dict[str, Any]]]:
    """The access corpus with a link in the public FAQ folder to 人事課's notice, and one to a file outside the
    folders given; served with sign-in on."""
    docs = build_docs(tmp_path)
    (docs / LINK).symlink_to(docs / NOTICE)
    outside = tmp_path / "outside" / "庁外メモ.txt"
    outside.parent.mkdir()
    outside.write_text(f"{CODE_WORD}。庁外の資料です。\n", encoding="utf-8")
    (docs / "faq/外部リンク.txt").symlink_to(outside)
    store = tmp_path / "store"
    summary = run_ingest([docs], load_settings(store)).as_dict()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOTAE_AUTH", "on")
        mp.setenv("KOTAE_RATE_LIMIT_PER_MINUTE", "0")
        settings = load_settings(store)
    tokens = add_users(store)
    with TestClient(create_app(settings)) as client:
        client.headers.update(bearer(tokens.soumu))
        yield client, store, {"summary": summary, "hr": bearer(tokens.hr)}


def test_a_link_is_never_indexed_with_the_groups_of_where_it_sits(linked: tuple[TestClient, Path, dict[str, Any]]
                                                                  ) -> None:
    client, store, extra = linked
    summary = extra["summary"]
    documents = _documents(store)
    assert LINK not in documents, "the link was indexed under its own name"
    assert documents[NOTICE] == ("人事課",), "the real file must be indexed, with its own folder's groups"
    assert {"source": LINK, "same_as": NOTICE} in summary["duplicates"]
    failed = {f["source"]: f["reason"] for f in summary["failed"]}
    assert "outside the folders given" in failed["faq/外部リンク.txt"]

    for query in (CODE_WORD, "人事異動内示", "ＡＩ窓口推進室への異動"):
        found = client.post("/api/search", json={"query": query, "k": 20})
        assert found.status_code == 200 and _secrets_in(found.json()) == [], query
        answered = client.post("/api/ask", json={"question": f"{query}について教えて"})
        assert answered.status_code == 200 and _secrets_in(answered.json()) == [], query
    assert client.get("/api/files/" + quote(LINK)).status_code == 404
    assert client.get("/api/files/" + quote(NOTICE)).status_code == 404
    listed = client.get("/api/documents").json()
    assert _secrets_in(listed) == []
    # Its group still finds it, under its real name.
    own = client.post("/api/search", json={"query": "人事異動内示", "k": 5}, headers=extra["hr"]).json()
    assert NOTICE in [h["source"] for h in own["hits"]] and LINK not in [h["source"] for h in own["hits"]]


def test_a_sub_folder_given_on_its_own_keeps_the_groups_of_the_folders_above(tmp_path: Path) -> None:
    docs = build_docs(tmp_path)
    deep = docs / "hr" / "令和7年度"
    deep.mkdir()
    (deep / "面談記録.txt").write_text(f"面談記録\n令和七年三月一日\n\n{CODE_WORD}。面談の記録です。\n",
                                       encoding="utf-8")
    current = tmp_path / "current"  # a linked folder given as a root: the real place's metadata counts
    current.symlink_to(docs / "hr", target_is_directory=True)

    alone = tmp_path / "alone"
    assert run_ingest([deep], load_settings(alone)).failed == []
    assert _documents(alone) == {"面談記録.txt": ("人事課",)}

    via_link = tmp_path / "via-link"
    assert run_ingest([current], load_settings(via_link)).failed == []
    assert set(_documents(via_link).values()) == {("人事課",)}

    # Registered on the admin page and ingested by its job: the same.
    admin_store = tmp_path / "admin"
    shutil.copytree(REPO / "corpus", tmp_path / "public")
    assert run_ingest([tmp_path / "public"], load_settings(admin_store)).failed == []
    settings = load_settings(admin_store)
    with TestClient(create_app(settings, JobRunner(settings))) as client:
        assert client.post("/api/admin/folders", json={"path": str(deep)}).status_code == 201
        job = client.post("/api/admin/jobs").json()
        while job["status"] == "running":
            job = client.get(f"/api/admin/jobs/{job['id']}").json()
        assert job["status"] == "done", job
    assert _documents(admin_store)["面談記録.txt"] == ("人事課",)


QUERIES = ("書かない窓口の実績", "生成ＡＩの試行利用の結果", "職員配置の方針", "人事異動の内示", "内部監査の確認事項")


@pytest.fixture(scope="module")
def two_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Searcher, Searcher]]:
    """The same public documents in two stores, one also holding 人事課's and the audit office's."""
    with_hidden = tmp_path_factory.mktemp("with-hidden")
    without = tmp_path_factory.mktemp("without")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        assert run_ingest([build_docs(with_hidden)], load_settings(with_hidden / "store")).failed == []
        shutil.copytree(REPO / "corpus", without / "docs")
        assert run_ingest([without / "docs"], load_settings(without / "store")).failed == []
        searchers = (Searcher(load_settings(with_hidden / "store")), Searcher(load_settings(without / "store")))
    yield searchers
    for searcher in searchers:
        searcher.close()


@pytest.mark.parametrize("method", ["default", "lexical", "dense", "hybrid"])
@pytest.mark.parametrize("query", QUERIES)
def test_scores_staff_see_are_those_of_a_store_without_the_hidden_documents(
        two_stores: tuple[Searcher, Searcher], query: str, method: str) -> None:
    with_hidden, without = two_stores
    for extra in (Filters(), Filters(doc_type=("minutes",)), Filters(speaker_role=("executive",))):
        staff = Filters(**{**extra.__dict__, "access_groups": STAFF})
        seen = [(h.chunk.chunk_id, h.score, h.scores) for h in with_hidden.search(query, 10, staff, method)]
        plain = [(h.chunk.chunk_id, h.score, h.scores) for h in without.search(query, 10, staff, method)]
        assert [c for c, _, _ in seen] == [c for c, _, _ in plain], (query, method, extra)
        for (_, score, parts), (_, other, other_parts) in zip(seen, plain, strict=True):
            assert score == pytest.approx(other, abs=1e-6), (query, method, extra)
            assert parts == other_parts


def test_evidence_and_answers_staff_get_are_those_of_a_store_without_the_hidden_documents(
        two_stores: tuple[Searcher, Searcher]) -> None:
    with_hidden, without = two_stores
    for query in QUERIES:
        tokens, idf, unknown = with_hidden.term_weights(query, STAFF)
        assert (tokens, unknown) == without.term_weights(query, STAFF)[0::2]
        assert idf == pytest.approx(without.term_weights(query, STAFF)[1])
        mine = Answerer(with_hidden).ask(query, Filters(access_groups=STAFF))
        theirs = Answerer(without).ask(query, Filters(access_groups=STAFF))
        assert (mine.text, mine.grounded) == (theirs.text, theirs.grounded), query
