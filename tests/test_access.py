"""Access control through the real app: documents of 人事課 (planted in `hr/` with `_meta.json` access groups)
never reach a 総務課 member by any route — search, answers, drafts, Word export, document lists, counts,
passages, original files or error messages — while 人事課 and admins see them. Anonymous callers get 401, staff
get 403 on the admin API; the header mode trusts only its proxies; the web login and tokens end when they should.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import pytest
from access_fixtures import (
    AUDIT_SOURCE,
    CODE_WORD,
    NOTICE_TITLE,
    NOTICE_TYPE,
    POLICY_TITLE,
    SECRET_MARKERS,
    SECRET_MINUTES_TITLE,
    SECRET_SOURCES,
    Tokens,
    add_users,
    bearer,
    build_store,
)
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from ingest.jobs import JobRunner
from kotae.auth import UserStore
from kotae.settings import load_settings
from service.app import create_app

# Queries that rank the confidential documents first for those who may see them (checked below for 人事課).
QUERIES = (CODE_WORD, NOTICE_TITLE, POLICY_TITLE, SECRET_MINUTES_TITLE, "書かない窓口の拡大",
           "生成ＡＩの試行利用の結果", "ＡＩ窓口推進室への異動")
QUESTIONS = ("書かない窓口の拡大に伴う職員の異動は", "生成ＡＩの試行利用を担当した職員はどこに異動するか",
             "ＡＩ窓口推進室の主任には誰を充てるか")
DRAFT_QUESTION = "書かない窓口の拡大と職員配置について"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus plus the confidential `hr/` folder, ingested once."""
    return build_store(tmp_path_factory.mktemp("access"))


@pytest.fixture(scope="module")
def tokens(store: Path) -> Tokens:
    return add_users(store)


@pytest.fixture(scope="module")
def client(store: Path, tokens: Tokens) -> Iterator[TestClient]:
    """The app with KOTAE_AUTH=on (no rate limit: these tests ask a lot)."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_AUTH", "on")
        mp.setenv("KOTAE_RATE_LIMIT_PER_MINUTE", "0")
        settings = load_settings(store)
    with TestClient(create_app(settings, JobRunner(settings))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def header_client(store: Path) -> Iterator[TestClient]:
    """The app with KOTAE_AUTH=header, its client connecting from the trusted proxy's address."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_AUTH", "header")
        mp.setenv("KOTAE_AUTH_TRUSTED_PROXIES", '["127.0.0.1"]')
        settings = load_settings(store)
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as test_client:
        yield test_client


def leaks(payload: Any, drop: tuple[str, ...] = ("query", "question")) -> list[str]:
    """The confidential markers found anywhere in a JSON payload (the echoed query itself left out)."""
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in drop}
    text = json.dumps(payload, ensure_ascii=False)
    return [m for m in SECRET_MARKERS if m in text]


def post(client: TestClient, path: str, token: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def hit_sources(client: TestClient, token: str, query: str) -> list[str]:
    return [h["source"] for h in post(client, "/api/search", token, {"query": query, "k": 20})["hits"]]


def secret_chunk_id(client: TestClient, tokens: Tokens) -> str:
    hits = post(client, "/api/search", tokens.hr, {"query": CODE_WORD, "k": 5})["hits"]
    return str(next(h["chunk_id"] for h in hits if h["source"] in SECRET_SOURCES))


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# --- those who may see the documents see them ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["hr", "admin"])
def test_hr_and_admin_find_the_confidential_documents(client: TestClient, tokens: Tokens, who: str) -> None:
    """The 人事課 member and the admin get the confidential documents in search, answers and drafts."""
    token = getattr(tokens, who)
    for query in QUERIES[:4]:
        assert hit_sources(client, token, query)[0] in {*SECRET_SOURCES, AUDIT_SOURCE}, query
    answer = post(client, "/api/ask", token, {"question": QUESTIONS[0]})
    assert {c["source"] for c in answer["citations"]} & set(SECRET_SOURCES), answer
    draft = post(client, "/api/draft", token, {"question": DRAFT_QUESTION})
    assert {c["source"] for c in draft["citations"]} & set(SECRET_SOURCES)
    assert {c["source"] for c in draft["past_answers"]} & set(SECRET_SOURCES)
    assert CODE_WORD in draft["draft"]


def test_hr_member_sees_documents_passages_and_files(client: TestClient, tokens: Tokens) -> None:
    """For 人事課 the confidential documents are listed and counted, and their passages and files open."""
    listed = client.get("/api/documents", headers=bearer(tokens.hr)).json()
    assert set(SECRET_SOURCES) <= {d["source"] for d in listed["documents"]}
    assert NOTICE_TYPE in listed["doc_types"]
    passage = client.get(f"/api/passages/{secret_chunk_id(client, tokens)}", headers=bearer(tokens.hr))
    assert passage.status_code == 200 and passage.json()["source"] in SECRET_SOURCES
    original = client.get("/api/files/" + quote(SECRET_SOURCES[0]), headers=bearer(tokens.hr))
    assert original.status_code == 200 and CODE_WORD in original.content.decode("utf-8")
    only = post(client, "/api/search", tokens.hr, {"query": "異動", "filters": {"doc_type": [NOTICE_TYPE]}})
    assert {h["source"] for h in only["hits"]} == {SECRET_SOURCES[0]}


# --- the 総務課 member never sees them ---------------------------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_search_never_returns_confidential_passages(client: TestClient, tokens: Tokens, query: str) -> None:
    """Not even the code word or the exact title brings a 人事課 passage to a 総務課 member."""
    payload = post(client, "/api/search", tokens.soumu, {"query": query, "k": 100})
    assert payload["hits"], "visible documents are still found"
    assert leaks(payload) == []


def test_search_by_source_prefix_reveals_nothing(client: TestClient, tokens: Tokens) -> None:
    """Filtering by the confidential folder answers exactly as a folder that does not exist."""
    hidden = post(client, "/api/search", tokens.soumu, {"query": "異動", "filters": {"source_prefix": "hr/"}})
    missing = post(client, "/api/search", tokens.soumu, {"query": "異動", "filters": {"source_prefix": "zz/"}})
    assert hidden["hits"] == missing["hits"] == []


@pytest.mark.parametrize("question", [*QUESTIONS, f"{CODE_WORD}とは何か"])
def test_ask_never_cites_confidential_passages(client: TestClient, tokens: Tokens, question: str) -> None:
    """Answer text, citations and the closest passages of a refusal hold nothing confidential."""
    answer = post(client, "/api/ask", tokens.soumu, {"question": question})
    assert leaks(answer) == [], answer


def test_refusal_offers_only_visible_closest_passages(client: TestClient, tokens: Tokens) -> None:
    """A question only the confidential documents answer is refused, offering visible passages only."""
    answer = post(client, "/api/ask", tokens.soumu, {"question": "ＡＩ窓口推進室の主任には誰を充てるか"})
    assert not answer["grounded"] and answer["closest"] and answer["citations"] == []
    assert leaks(answer) == []
    seen = post(client, "/api/ask", tokens.hr, {"question": "ＡＩ窓口推進室の主任には誰を充てるか"})
    assert seen["grounded"] and {c["source"] for c in seen["citations"]} <= set(SECRET_SOURCES)


def test_answerability_does_not_reveal_words_of_hidden_documents(client: TestClient, tokens: Tokens) -> None:
    """A word only hidden documents hold is treated like a word no document holds."""
    def grounded(word: str) -> bool:
        answer = post(client, "/api/ask", tokens.soumu, {"question": f"コンビニ交付の手数料{word}"})
        assert leaks(answer) == []
        return bool(answer["grounded"])

    nowhere = {grounded(word) for word in ("薄暮", "暁光", "夕闇")}
    assert nowhere == {False}  # words in no document: refused
    assert grounded("黄昏") is False


def test_draft_never_uses_confidential_passages(client: TestClient, tokens: Tokens) -> None:
    """Draft text, citations and past answers hold nothing confidential."""
    for question in (DRAFT_QUESTION, QUESTIONS[0]):  # one grounded in visible documents, one refused
        draft = post(client, "/api/draft", tokens.soumu, {"question": question, "questioner": "桑原美穂"})
        assert draft["past_answers"], "earlier visible answers are still listed"
        assert leaks(draft) == [], draft
    assert post(client, "/api/draft", tokens.soumu, {"question": DRAFT_QUESTION})["citations"]


def test_draft_docx_holds_nothing_confidential(client: TestClient, tokens: Tokens) -> None:
    """The Word export, read back with python-docx, names no confidential text or source."""
    body = {"question": DRAFT_QUESTION, "questioner": "桑原美穂"}
    hidden = client.post("/api/draft/docx", json=body, headers=bearer(tokens.soumu))
    assert hidden.status_code == 200
    text = docx_text(hidden.content)
    assert "みずほ野市" in text or "書かない窓口" in text
    assert [m for m in SECRET_MARKERS if m in text] == []
    seen = client.post("/api/draft/docx", json=body, headers=bearer(tokens.hr))
    assert CODE_WORD in docx_text(seen.content)  # the same request does carry it for 人事課


def test_documents_list_and_types_hide_confidential_documents(client: TestClient, tokens: Tokens) -> None:
    """/api/documents lists no confidential source, and not the document type only they have."""
    listed = client.get("/api/documents", headers=bearer(tokens.soumu)).json()
    assert listed["documents"] and leaks(listed) == []
    assert NOTICE_TYPE not in listed["doc_types"]


@pytest.mark.parametrize("who", ["soumu", "hr", "admin"])
def test_healthz_counts_only_visible_documents(client: TestClient, tokens: Tokens, who: str) -> None:
    """/healthz counts equal the documents and chunks the caller may list."""
    headers = bearer(getattr(tokens, who))
    listed = client.get("/api/documents", headers=headers).json()["documents"]
    health = client.get("/healthz", headers=headers).json()
    assert health["documents"] == len(listed)
    assert health["chunks"] == sum(d["chunks"] for d in listed)
    visible_secrets = {d["source"] for d in listed} & set(SECRET_SOURCES)
    assert visible_secrets == (set() if who == "soumu" else set(SECRET_SOURCES))
    anonymous = client.get("/healthz").json()
    assert anonymous["documents"] is None and anonymous["chunks"] is None


def test_confidential_passage_is_404_like_a_missing_one(client: TestClient, tokens: Tokens) -> None:
    """A confidential chunk id answers 404 with the same detail as an id that never existed."""
    chunk_id = secret_chunk_id(client, tokens)
    hidden = client.get(f"/api/passages/{chunk_id}", headers=bearer(tokens.soumu))
    missing = client.get("/api/passages/0000deadbeef", headers=bearer(tokens.soumu))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(chunk_id, "ID") == missing.json()["detail"].replace("0000deadbeef", "ID")


@pytest.mark.parametrize("source", SECRET_SOURCES)
def test_confidential_file_is_404_like_a_missing_one(client: TestClient, tokens: Tokens, source: str) -> None:
    """The original file of a confidential document answers 404 exactly like a file that does not exist."""
    hidden = client.get("/api/files/" + quote(source), headers=bearer(tokens.soumu))
    missing = client.get("/api/files/" + quote("hr/存在しない.txt"), headers=bearer(tokens.soumu))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(source, "S") == missing.json()["detail"].replace("hr/存在しない.txt", "S")


@pytest.mark.parametrize("path", ["/api/search", "/api/ask", "/api/draft"])
def test_filter_by_confidential_type_errs_like_an_unknown_type(client: TestClient, tokens: Tokens,
                                                               path: str) -> None:
    """Filtering by the confidential document type fails exactly as an unknown type does."""
    key = "query" if path == "/api/search" else "question"

    def attempt(doc_type: str) -> Any:
        return client.post(path, json={key: "異動について", "filters": {"doc_type": [doc_type]}},
                           headers=bearer(tokens.soumu))

    hidden, missing = attempt(NOTICE_TYPE), attempt("存在しない種別")
    assert hidden.status_code == missing.status_code == 422
    detail = hidden.json()["detail"]
    assert detail.replace(NOTICE_TYPE, "T") == missing.json()["detail"].replace("存在しない種別", "T")
    assert leaks({"detail": detail.replace(NOTICE_TYPE, "T")}) == []


# --- who may call what --------------------------------------------------------------------------------------------


def api_calls(client: TestClient, prefix: str) -> list[tuple[str, str]]:
    """(method, concrete path) of every operation of the OpenAPI schema under `prefix`, parameters filled in."""
    paths = client.get("/openapi.json").json()["paths"]
    calls = [(method.upper(), re.sub(r"\{[^}]+\}", "x.txt", path))
             for path, operations in paths.items() if path.startswith(prefix) for method in operations]
    assert len(calls) >= 5, calls
    return calls


def test_anonymous_gets_401_on_every_api_route(client: TestClient) -> None:
    """Every /api route but the login (and the logout, which only drops a cookie) needs a signed-in user."""
    open_routes = {"/api/login", "/api/logout"}
    refused = {}
    for method, path in api_calls(client, "/api"):
        if path not in open_routes:
            refused[(method, path)] = client.request(method, path, json={}).status_code
    assert set(refused.values()) == {401}, refused
    assert client.get("/healthz").status_code == 200
    assert client.post("/api/login", json={"name": "nobody", "password": "wrong password"}).status_code == 401


def test_staff_gets_403_on_every_admin_route(client: TestClient, tokens: Tokens) -> None:
    """Staff, whatever their groups, are refused every /api/admin route."""
    for token in (tokens.soumu, tokens.hr):
        statuses = {(m, p): client.request(m, p, json={}, headers=bearer(token)).status_code
                    for m, p in api_calls(client, "/api/admin")}
        assert set(statuses.values()) == {403}, statuses


def test_admin_may_use_the_admin_routes(client: TestClient, tokens: Tokens, tmp_path: Path) -> None:
    """The admin passes the role check on the admin API (reads succeed, writes reach their own checks)."""
    headers = bearer(tokens.admin)
    for path in ("/api/admin/folders", "/api/admin/audit", "/api/admin/audit.csv", "/api/admin/usage"):
        assert client.get(path, headers=headers).status_code == 200, path
    assert client.get("/api/admin/jobs/current", headers=headers).status_code == 404  # no job yet, not refused
    assert client.post("/api/admin/folders", json={"path": str(tmp_path)}, headers=headers).status_code == 201
    gone = client.delete("/api/admin/documents/" + quote("no/such.txt"), headers=headers)
    assert gone.status_code == 404


# --- header mode --------------------------------------------------------------------------------------------------


def as_proxy(user: str, groups: str) -> dict[bytes, bytes]:
    """The headers a trusted proxy sends; non-ASCII values go as UTF-8 bytes, as proxies pass them on."""
    return {b"X-Remote-User": user.encode("utf-8"), b"X-Remote-Groups": groups.encode("utf-8")}


def proxied_sources(client: TestClient, user: str, groups: str) -> set[str]:
    response = client.post("/api/search", json={"query": CODE_WORD, "k": 30}, headers=as_proxy(user, groups))
    assert response.status_code == 200, response.text
    return {h["source"] for h in response.json()["hits"]}


def test_header_mode_groups_decide_visibility(header_client: TestClient) -> None:
    """Behind a trusted proxy the groups header decides which documents a user sees."""
    assert AUDIT_SOURCE not in proxied_sources(header_client, "sato", "soumu")
    assert AUDIT_SOURCE in proxied_sources(header_client, "sato", "soumu,kansa")
    assert proxied_sources(header_client, "sato", "soumu,kansa") & set(SECRET_SOURCES) == set()
    me = header_client.get("/api/me", headers=as_proxy("sato", "soumu,kansa")).json()
    assert me == {"name": "sato", "role": "staff", "groups": ["everyone", "soumu", "kansa"], "auth": "header"}


def test_header_mode_japanese_groups_and_names(header_client: TestClient) -> None:
    """A Japanese group name from the proxy (UTF-8) opens that group's documents and the name stays readable."""
    assert proxied_sources(header_client, "佐藤", "総務課,人事課") & set(SECRET_SOURCES)
    me = header_client.get("/api/me", headers=as_proxy("佐藤", "総務課,人事課")).json()
    assert me["name"] == "佐藤" and me["groups"] == ["everyone", "総務課", "人事課"]


def test_header_mode_japanese_groups_never_widen_access(header_client: TestClient) -> None:
    """Whatever becomes of non-ASCII group names, a 総務課 user behind the proxy sees nothing confidential."""
    assert proxied_sources(header_client, "佐藤", "総務課") & {*SECRET_SOURCES, AUDIT_SOURCE} == set()


def test_header_mode_admin_group_makes_an_admin(header_client: TestClient) -> None:
    """Members of KOTAE_AUTH_ADMIN_GROUP are admins (and see everything); others are refused the admin API."""
    staff = header_client.get("/api/admin/folders", headers=as_proxy("sato", "soumu"))
    admin = header_client.get("/api/admin/folders", headers=as_proxy("suzuki", "dx,kotae-admins"))
    assert staff.status_code == 403 and admin.status_code == 200
    assert header_client.get("/api/me", headers=as_proxy("suzuki", "kotae-admins")).json()["role"] == "admin"
    assert {*SECRET_SOURCES, AUDIT_SOURCE} <= proxied_sources(header_client, "suzuki", "kotae-admins")


def test_header_mode_refuses_untrusted_hosts(header_client: TestClient) -> None:
    """The same headers from a host that is not a trusted proxy sign nobody in."""
    untrusted = TestClient(header_client.app, client=("203.0.113.9", 40000))  # the started app, another host
    headers = as_proxy("suzuki", "kansa,kotae-admins")
    assert untrusted.post("/api/search", json={"query": CODE_WORD}, headers=headers).status_code == 401
    assert untrusted.get("/api/me", headers=headers).status_code == 401
    assert untrusted.get("/api/admin/folders", headers=headers).status_code == 401
    assert untrusted.get("/healthz", headers=headers).json()["documents"] is None
    assert header_client.get("/api/me").status_code == 401  # a trusted proxy without the user header: nobody


# --- login, sessions and tokens -----------------------------------------------------------------------------------


def test_login_cookie_works_until_logout(client: TestClient, store: Path, tokens: Tokens) -> None:
    """POST /api/login sets a session cookie later calls use; logout ends the session on the server."""
    UserStore(store).set_password("soumu", "correct horse battery")
    browser = TestClient(client.app)  # the started app, with its own cookie jar
    wrong = browser.post("/api/login", json={"name": "soumu", "password": "wrong password!"})
    assert wrong.status_code == 401 and "kotae_session" not in browser.cookies
    assert browser.post("/api/login", json={"name": "nobody", "password": "correct horse battery"}).json() == \
        wrong.json()  # an unknown user is refused exactly as a wrong password
    signed_in = browser.post("/api/login", json={"name": "soumu", "password": "correct horse battery"})
    assert signed_in.status_code == 200 and signed_in.json()["name"] == "soumu"
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    cookie = browser.cookies["kotae_session"]
    assert browser.get("/api/me").json()["name"] == "soumu"
    same_origin = {"Origin": "http://testserver"}  # as the web app's fetch sends it (cookie requests need it)
    assert browser.post("/api/search", json={"query": "書かない窓口"}, headers=same_origin).status_code == 200
    assert browser.post("/api/logout", headers=same_origin).status_code == 204
    assert browser.get("/api/me").status_code == 401
    replayed = TestClient(client.app, cookies={"kotae_session": cookie})
    assert replayed.get("/api/me").status_code == 401  # the session is gone, not only the cookie


def test_removed_user_token_stops_working(client: TestClient, store: Path) -> None:
    """Removing a user revokes every token they had."""
    users = UserStore(store)
    first = users.add("tanaka", "staff", ["総務課"])
    second = users.new_token("tanaka")
    for token in (first, second):
        assert client.get("/api/me", headers=bearer(token)).status_code == 200
    users.remove("tanaka")
    for token in (first, second):
        assert client.get("/api/me", headers=bearer(token)).status_code == 401
        assert client.post("/api/search", json={"query": "窓口"}, headers=bearer(token)).status_code == 401


def test_bad_tokens_are_401(client: TestClient, tokens: Tokens) -> None:
    """A made-up or truncated token, or another scheme, signs nobody in."""
    for header in (f"Bearer {tokens.admin[:-2]}", "Bearer kt_made_up", "Bearer ", f"Basic {tokens.admin}",
                   tokens.admin):
        response = client.get("/api/me", headers={"Authorization": header})
        assert response.status_code == 401, header
