"""State changes another origin starts are refused, in every auth mode: a page on another port of the same host
(same site, so SameSite=Strict cookies still go) cannot upload files, start an ingestion, search as the
signed-in user or sign anyone in; the app's own pages, API tokens and scripts are unaffected.

The browser's headers are sent as Chromium sends them; tests/test_signin_web.py shows the same with the real
browser."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from kotae.auth import UserStore
from kotae.settings import Settings, load_settings
from service.app import create_app

OWN = "http://testserver"  # TestClient's origin (scheme + Host header)
SAME_ORIGIN = {"Origin": OWN, "Sec-Fetch-Site": "same-origin"}
OTHER_PORT = {"Origin": "http://testserver:8081", "Sec-Fetch-Site": "same-site"}  # another port, same host
PASSWORD = "correct horse battery"
PLANTED = ("お知らせ.txt", "窓口の受付時間は午前三時から午前四時までです。".encode(), "text/plain")


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus store (uploads may land in it when a test fails)."""
    copy = tmp_path_factory.mktemp("csrf") / "store"
    shutil.copytree(corpus_store, copy)
    return copy


def settings_for(store: Path, **env: str) -> Settings:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_RATE_LIMIT_PER_MINUTE", "0")
        for key, value in env.items():
            mp.setenv(key, value)
        return load_settings(store)


@pytest.fixture(scope="module")
def off(store: Path) -> Iterator[TestClient]:
    """KOTAE_AUTH=off: every request is the local admin."""
    with TestClient(create_app(settings_for(store))) as client:
        yield client


@pytest.fixture(scope="module")
def on(store: Path) -> Iterator[TestClient]:
    """KOTAE_AUTH=on with an admin who has a password."""
    UserStore(store).add("kanri", "admin", ["DX推進課"])
    UserStore(store).set_password("kanri", PASSWORD)
    with TestClient(create_app(settings_for(store, KOTAE_AUTH="on"))) as client:
        yield client


def signed_in(on: TestClient) -> TestClient:
    """A browser of the started app in which the admin has signed in (its cookie jar holds the session)."""
    browser = TestClient(on.app)
    response = browser.post("/api/login", json={"name": "kanri", "password": PASSWORD}, headers=SAME_ORIGIN)
    assert response.status_code == 200, response.text
    return browser


def uploads(store: Path) -> list[str]:
    folder = store / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# --- the attack of the security probe -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["off", "on"])
def test_another_origin_cannot_plant_a_document(request: pytest.FixtureRequest, store: Path, mode: str) -> None:
    """A multipart upload and POST /api/admin/jobs from another port of the host are refused (403 with a
    reason) before anything is saved or run; the same requests from the app's own page are accepted."""
    client: TestClient = request.getfixturevalue(mode)
    browser = signed_in(client) if mode == "on" else client
    before = uploads(store)
    upload = browser.post("/api/admin/upload", files=[("files", PLANTED)], headers=OTHER_PORT)
    job = browser.post("/api/admin/jobs", json={}, headers=OTHER_PORT)
    assert upload.status_code == job.status_code == 403
    assert "another" in upload.json()["detail"] and "\n" not in upload.json()["detail"]
    assert uploads(store) == before
    own = browser.post("/api/admin/upload", files=[("files", PLANTED)], headers=SAME_ORIGIN)
    assert own.status_code == 200 and own.json()["saved"] == ["お知らせ.txt"]
    (store / "uploads" / "お知らせ.txt").unlink()


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver:8081"},  # another port, Origin only (older browsers)
    {"Sec-Fetch-Site": "same-site"},  # Fetch metadata only
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Origin": "null"},  # a sandboxed frame or a data: page
    {"Origin": "https://testserver"},  # same host, another scheme
    {"Origin": "http://testserver.evil.example"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"},  # both must agree
])
def test_cross_origin_state_changes_are_refused_without_auth(off: TestClient, headers: dict[str, str]) -> None:
    """With KOTAE_AUTH=off, POST, PUT, PATCH and DELETE from another origin are refused on every route."""
    for method, path in (("POST", "/api/admin/folders"), ("DELETE", "/api/admin/documents/faq.txt"),
                         ("POST", "/api/search"), ("PUT", "/api/admin/folders"), ("PATCH", "/api/admin/jobs")):
        response = off.request(method, path, json={"path": "/tmp", "query": "窓口"}, headers=headers)
        assert response.status_code == 403, (method, path, response.text)


def test_own_pages_and_scripts_pass(off: TestClient) -> None:
    """The app's own fetches (same origin), a typed address (Sec-Fetch-Site: none) and scripts that send
    neither header get through; reads are never checked."""
    for headers in (SAME_ORIGIN, {"Origin": OWN}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"},
                    {"Origin": "HTTP://TESTSERVER:80"}, {}):
        response = off.post("/api/search", json={"query": "窓口の受付時間"}, headers=headers)
        assert response.status_code == 200, (headers, response.text)
    assert off.get("/api/documents", headers=OTHER_PORT).status_code == 200


def test_a_session_cookie_without_either_header_is_refused(on: TestClient) -> None:
    """A cookie-signed state change that carries neither Origin nor Sec-Fetch-Site cannot be told from a forged
    one, so it is refused (fail closed); with the headers the same request passes."""
    browser = signed_in(on)
    bare = browser.post("/api/search", json={"query": "窓口の受付時間"})
    assert bare.status_code == 403 and "Origin" in bare.json()["detail"]
    assert browser.post("/api/search", json={"query": "窓口の受付時間"}, headers=SAME_ORIGIN).status_code == 200
    assert browser.get("/api/me").status_code == 200  # reads need no header


def test_a_cross_origin_page_cannot_use_the_session(on: TestClient) -> None:
    """Signed in by cookie, requests from another port are refused: search, logout, and a login that would
    swap the admin's session for another."""
    browser = signed_in(on)
    assert browser.post("/api/search", json={"query": "窓口"}, headers=OTHER_PORT).status_code == 403
    assert browser.post("/api/logout", headers=OTHER_PORT).status_code == 403
    assert browser.get("/api/me").json()["name"] == "kanri"  # still signed in
    forged = TestClient(on.app).post("/api/login", json={"name": "kanri", "password": PASSWORD}, headers=OTHER_PORT)
    assert forged.status_code == 403 and "kotae_session" not in forged.cookies


def test_api_tokens_are_not_checked(on: TestClient, store: Path) -> None:
    """A request signed by a Bearer token (which another page cannot make the browser send) passes whatever
    its Origin; a bad token is still 401, not let through."""
    token = UserStore(store).new_token("kanri")
    for headers in ({}, OTHER_PORT):
        response = on.post("/api/search", json={"query": "窓口"},
                           headers=headers | {"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
    bad = on.post("/api/search", json={"query": "窓口"}, headers=OTHER_PORT | {"Authorization": "Bearer kt_made_up"})
    assert bad.status_code == 401


def test_header_mode_checks_the_origin_too(store: Path) -> None:
    """Behind the city's sign-in proxy (ambient credentials too) a cross-origin POST is refused."""
    settings = settings_for(store, KOTAE_AUTH="header", KOTAE_AUTH_TRUSTED_PROXIES='["127.0.0.1"]')
    proxy = {"X-Remote-User": "suzuki", "X-Remote-Groups": "kotae-admins"}
    with TestClient(create_app(settings), client=("127.0.0.1", 40000)) as client:
        assert client.post("/api/search", json={"query": "窓口"}, headers=proxy | SAME_ORIGIN).status_code == 200
        refused = client.post("/api/admin/folders", json={"path": "/tmp"}, headers=proxy | OTHER_PORT)
        assert refused.status_code == 403
