"""The admin API: folders, uploads, ingestion and removal jobs run inside the serving process, documents and their
status, passages and original files — through the real app on a real store."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from ingest.jobs import JobRunner
from ingest.pipeline import run_ingest
from kotae.settings import load_settings
from service.app import create_app

REPO = Path(__file__).resolve().parents[1]
NOTICE = "みずほ野市では、令和七年四月から粗大ごみの収集をインターネットで申し込めるようにいたします。\n"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus (tests change it) ingested into a store beside it."""
    root = tmp_path_factory.mktemp("admin")
    shutil.copytree(REPO / "corpus", root / "docs")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        run_ingest([root / "docs"], load_settings(root / "store"))
    return root


@pytest.fixture(scope="module")
def client(docs: Path) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        settings = load_settings(docs / "store")
    with TestClient(create_app(settings, JobRunner(settings))) as test_client:
        yield test_client


def wait_for_job(client: TestClient, timeout: float = 120) -> dict[str, Any]:
    """Poll the current job until it ends; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get("/api/admin/jobs/current").json()
        if job["status"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError("the job did not finish in time")


def sources(client: TestClient) -> dict[str, dict[str, Any]]:
    return {d["source"]: d for d in client.get("/api/documents").json()["documents"]}


def test_documents_list_status_and_types(client: TestClient) -> None:
    """Every corpus document is listed as indexed, with its type, date and chunk count."""
    payload = client.get("/api/documents").json()
    listed = {d["source"]: d for d in payload["documents"]}
    assert "minutes/令和6年第3回定例会会議録.txt" in listed
    minutes = listed["minutes/令和6年第3回定例会会議録.txt"]
    assert minutes["status"] == "indexed" and minutes["doc_type"] == "minutes" and minutes["chunks"] > 10
    assert minutes["date"] == "2024-09-10" and minutes["reason"] is None
    assert "minutes" in payload["doc_types"] and "manual" in payload["doc_types"]


def test_passage_and_original_file_of_a_citation(client: TestClient, docs: Path) -> None:
    """A citation's passage comes back whole, its span inside equals the quote, and the file link serves the
    original bytes."""
    answer = client.post("/api/ask", json={"question": "書かない窓口の効果は"}).json()
    cite = answer["citations"][0]
    passage = client.get(f"/api/passages/{cite['chunk_id']}").json()
    assert passage["text"][cite["start"] - passage["start"]:cite["end"] - passage["start"]] == cite["quote"]
    original = client.get(passage["file_url"])
    assert original.status_code == 200
    assert original.content == (docs / "docs" / cite["source"]).read_bytes()


def test_unknown_passage_and_file_are_404_with_a_reason(client: TestClient) -> None:
    assert "not in the index" in client.get("/api/passages/nope").json()["detail"]
    for path in ("no/such.txt", "%2e%2e%2fstore%2fcatalog.sqlite"):  # only indexed sources are ever served
        response = client.get("/api/files/" + path)
        assert response.status_code == 404 and "not an indexed document" in response.json()["detail"]


def test_upload_ingest_and_remove(client: TestClient, docs: Path) -> None:
    """An uploaded file is indexed by a job with live counts and a summary; removing it takes it out of the
    index and of later runs."""
    response = client.post("/api/admin/upload", files=[
        ("files", ("粗大ごみ案内.txt", NOTICE.encode("utf-8"), "text/plain")),
        ("files", ("slides.pptx", b"x", "application/octet-stream")),
        ("files", ("empty.txt", b"", "text/plain")),
    ])
    assert response.status_code == 200
    body = response.json()
    assert body["saved"] == ["粗大ごみ案内.txt"]
    refused = {r["name"]: r["reason"] for r in body["refused"]}
    assert "unsupported file type '.pptx'" in refused["slides.pptx"] and "empty" in refused["empty.txt"]

    started = client.post("/api/admin/jobs")
    assert started.status_code == 202 and started.json()["kind"] == "ingest"
    job = wait_for_job(client)
    assert job["status"] == "done", job
    assert job["summary"]["added"] == 1 and job["files_done"] == job["files_total"] == 1 and job["chunks"] >= 1
    assert sources(client)["粗大ごみ案内.txt"]["status"] == "indexed"
    asked = client.post("/api/ask", json={"question": "粗大ごみの収集はインターネットで申し込めますか"}).json()
    assert any(c["source"] == "粗大ごみ案内.txt" for c in asked["citations"]), asked

    removed = client.delete("/api/admin/documents/" + quote("粗大ごみ案内.txt"))
    assert removed.status_code == 202 and removed.json()["kind"] == "remove"
    assert wait_for_job(client)["status"] == "done"
    assert "粗大ごみ案内.txt" not in sources(client)
    folders = client.get("/api/admin/folders").json()
    assert not (Path(folders["uploads"]) / "粗大ごみ案内.txt").exists()

    wait_for_job(client)
    client.post("/api/admin/jobs")
    assert wait_for_job(client)["summary"]["added"] == 0  # removed stays removed


def test_removed_file_of_a_folder_stays_out_until_changed_runs(client: TestClient, docs: Path) -> None:
    """Removing a document that lives in a registered folder keeps the file but skips it on later runs."""
    source = "memos/窓口対応メモ.txt"
    assert client.delete("/api/admin/documents/" + quote(source)).status_code == 202
    assert wait_for_job(client)["status"] == "done"
    assert (docs / "docs" / source).is_file() and source not in sources(client)
    client.post("/api/admin/jobs")
    assert wait_for_job(client)["status"] == "done"
    assert source not in sources(client)


def test_register_a_folder_and_ingest_it(client: TestClient, tmp_path: Path) -> None:
    """A registered folder is listed and its files are indexed by the next job; bad paths are refused."""
    folder = tmp_path / "notices"
    folder.mkdir()
    notice = "# 図書館の休館日\n中央図書館は毎週月曜日を休館日としております。\n"
    (folder / "お知らせ.md").write_text(notice, encoding="utf-8")
    assert client.post("/api/admin/folders", json={"path": "relative/path"}).status_code == 422
    missing = client.post("/api/admin/folders", json={"path": str(tmp_path / "nope")})
    assert missing.status_code == 422 and "no such folder" in missing.json()["detail"]
    added = client.post("/api/admin/folders", json={"path": str(folder)})
    assert added.status_code == 201 and str(folder) in added.json()["folders"]
    client.post("/api/admin/jobs")
    assert wait_for_job(client)["status"] == "done"
    assert sources(client)["お知らせ.md"]["status"] == "indexed"


def test_failed_file_is_listed_with_its_reason(client: TestClient, docs: Path) -> None:
    """A file that cannot be read shows as failed, with the loader's reason."""
    (docs / "docs" / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    client.post("/api/admin/jobs")
    job = wait_for_job(client)
    assert job["status"] == "done" and any(f["source"] == "broken.pdf" for f in job["summary"]["failed"])
    broken = sources(client)["broken.pdf"]
    assert broken["status"] == "failed" and broken["reason"]


def test_a_second_job_while_one_runs_is_409(client: TestClient, docs: Path) -> None:
    wait_for_job(client)
    # A run with nothing to do ends in milliseconds, before the second request; this one embeds a document.
    work = docs / "docs" / "busy.txt"
    paragraphs = (f"第{i}項　窓口の受付に関する確認事項を定める。" * 8 for i in range(60))
    work.write_text("\n\n".join(paragraphs), encoding="utf-8")
    try:
        assert client.post("/api/admin/jobs").status_code == 202
        busy = client.post("/api/admin/jobs")
        assert busy.status_code == 409 and "already running" in busy.json()["detail"]
        wait_for_job(client)
    finally:
        work.unlink()
        assert client.post("/api/admin/jobs").status_code == 202  # the store as the other tests expect it
        wait_for_job(client)


def test_remove_unknown_document_is_404(client: TestClient) -> None:
    response = client.delete("/api/admin/documents/" + quote("no/such.txt"))
    assert response.status_code == 404 and "not an indexed document" in response.json()["detail"]
