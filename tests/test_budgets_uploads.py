"""Uploads are judged from their headers before their body is read: 401/403 for a request that is not an
admin's, 413 for a Content-Length over the upload limit, 429 with Retry-After past KOTAE_UPLOAD_CONCURRENCY;
a chunked body is counted as it arrives, not held in memory. Through the real app on a real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from access_fixtures import bearer, settings_for
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from ingest.pipeline import run_ingest
from kotae.auth import UserStore
from kotae.settings import Settings, load_settings
from service.app import UPLOAD_PATH, create_app

BOUNDARY = b"KOTAEBOUNDARY"
MB = 1_000_000
NOTICE = "窓口の受付時間は午前八時三十分から午後五時十五分までです。\n"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-document store with an admin and a staff user."""
    root = tmp_path_factory.mktemp("uploads")
    (root / "docs").mkdir()
    (root / "docs" / "窓口.txt").write_text(f"窓口のご案内\n{NOTICE}", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        run_ingest([root / "docs"], load_settings(root / "store"))
    return root / "store"


@pytest.fixture(scope="module")
def tokens(store: Path) -> dict[str, str]:
    users = UserStore(store)
    return {"admin": users.add("uploadadmin", "admin", ["DX推進課"]), "staff": users.add("uploadstaff", "staff",
                                                                                    ["総務課"])}


@pytest.fixture(scope="module")
def client(store: Path, tokens: dict[str, str]) -> Iterator[TestClient]:
    """KOTAE_AUTH=on and KOTAE_INGEST_MAX_FILE_MB=1: uploads may be at most 21 MB (20 files + 1 MB)."""
    with TestClient(create_app(settings_for(store, KOTAE_INGEST_MAX_FILE_MB="1"))) as test_client:
        yield test_client


class Body:
    """A multipart upload of one file, `size` bytes of it, made as it is pulled; `pulled` counts what was."""

    def __init__(self, size: int, name: str = "scan.txt") -> None:
        self.size = size
        self.head = (b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="files"; filename="'
                     + name.encode() + b'"\r\nContent-Type: text/plain\r\n\r\n')
        self.tail = b"\r\n--" + BOUNDARY + b"--\r\n"
        self.pulled = 0

    @property
    def length(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        piece = ("あ" * (MB // 3)).encode()[:MB]
        yield self._count(self.head)
        for start in range(0, self.size, MB):
            yield self._count(piece[:min(MB, self.size - start)])
        yield self._count(self.tail)

    def _count(self, data: bytes) -> bytes:
        self.pulled += len(data)
        return data


def post(client: TestClient, body: Body, headers: dict[str, str], declare_length: bool = True) -> Any:
    """POST the body as a stream: with Content-Length, or chunked."""
    sent = {**headers, "content-type": f"multipart/form-data; boundary={BOUNDARY.decode()}"}
    if declare_length:
        sent["content-length"] = str(body.length)
    return client.post(UPLOAD_PATH, content=iter(body), headers=sent)


def uploads_of(store: Path) -> list[str]:
    folder = store / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_anonymous_300_mb_upload_is_401_before_its_body_is_read(client: TestClient, store: Path) -> None:
    """FastAPI reads a multipart body before the route's auth dependency: the guard answers first."""
    body = Body(300 * MB)
    response = post(client, body, {})
    assert response.status_code == 401 and "sign in" in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"
    assert body.pulled == 0
    assert uploads_of(store) == []


def test_anonymous_chunked_upload_is_401_before_its_body_is_read(client: TestClient) -> None:
    body = Body(300 * MB)
    response = post(client, body, {}, declare_length=False)
    assert response.status_code == 401 and body.pulled == 0


def test_staff_upload_is_403_before_its_body_is_read(client: TestClient, tokens: dict[str, str]) -> None:
    body = Body(300 * MB)
    response = post(client, body, bearer(tokens["staff"]))
    assert response.status_code == 403 and "not an admin" in response.json()["detail"]
    assert body.pulled == 0


def test_wrong_token_is_401_before_its_body_is_read(client: TestClient) -> None:
    body = Body(300 * MB)
    response = post(client, body, bearer("not-a-token"))
    assert response.status_code == 401 and body.pulled == 0


def test_admin_upload_over_the_limit_is_413_from_its_content_length(client: TestClient,
                                                                   tokens: dict[str, str]) -> None:
    """300 MB declared against a 21 MB upload limit: refused without reading a byte."""
    body = Body(300 * MB)
    response = post(client, body, bearer(tokens["admin"]))
    assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert body.pulled == 0


def test_admin_chunked_upload_over_the_limit_is_413_and_saves_nothing(client: TestClient, store: Path,
                                                                      tokens: dict[str, str]) -> None:
    """Without Content-Length the bytes are counted as they arrive (not buffered): 413, and no file saved."""
    response = post(client, Body(25 * MB, "big.txt"), bearer(tokens["admin"]), declare_length=False)
    assert response.status_code == 413, response.text
    assert "big.txt" not in uploads_of(store)


def test_admin_upload_within_the_limits_is_saved(client: TestClient, store: Path, tokens: dict[str, str]) -> None:
    """The guard lets an admin's upload through, declared or chunked."""
    for declared, name in ((True, "declared.txt"), (False, "chunked.txt")):
        body = Body(MB // 2, name)  # under KOTAE_INGEST_MAX_FILE_MB=1
        response = post(client, body, bearer(tokens["admin"]), declare_length=declared)
        assert response.status_code == 200 and response.json()["saved"] == [name], response.text
        assert body.pulled == body.length
        assert (store / "uploads" / name).stat().st_size == MB // 2


async def _concurrent_uploads(settings: Settings, admin: str) -> tuple[list[int], httpx.Response, int]:
    """Two uploads held half-sent while a third and then a fourth arrive; returns the two statuses, the third's
    response, and the fourth's status after the two have finished."""
    app = create_app(settings)
    release = asyncio.Event()
    started = [asyncio.Event(), asyncio.Event()]
    headers = {**bearer(admin), "content-type": f"multipart/form-data; boundary={BOUNDARY.decode()}"}

    def held(index: int) -> AsyncIterator[bytes]:
        async def stream() -> AsyncIterator[bytes]:
            body = Body(1000, f"held{index}.txt")
            parts = list(body)
            yield parts[0]
            started[index].set()  # the app is reading this upload's body
            await release.wait()
            for part in parts[1:]:
                yield part
        return stream()

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kotae.test", timeout=60) as client:
            holding = [asyncio.create_task(client.post(UPLOAD_PATH, content=held(i), headers=headers))
                       for i in range(2)]
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), 30)
            third = await client.post(UPLOAD_PATH, content=b"".join(Body(1000, "third.txt")), headers=headers)
            release.set()
            statuses = [(await task).status_code for task in holding]
            fourth = await client.post(UPLOAD_PATH, content=b"".join(Body(1000, "fourth.txt")), headers=headers)
    return statuses, third, fourth.status_code


def test_uploads_over_the_concurrency_cap_are_429_with_retry_after(store: Path, tokens: dict[str, str]) -> None:
    """KOTAE_UPLOAD_CONCURRENCY=2: a third upload while two are being received waits its turn (429,
    Retry-After); once they end, uploads are accepted again."""
    settings = settings_for(store, KOTAE_UPLOAD_CONCURRENCY="2")
    statuses, third, fourth = asyncio.run(_concurrent_uploads(settings, tokens["admin"]))
    assert third.status_code == 429, third.text
    assert int(third.headers["retry-after"]) >= 1 and "KOTAE_UPLOAD_CONCURRENCY=2" in third.json()["detail"]
    assert statuses == [200, 200] and fourth == 200
    assert {"held0.txt", "held1.txt", "fourth.txt"} <= set(uploads_of(store)) and "third.txt" not in uploads_of(store)


def test_upload_concurrency_setting_is_checked() -> None:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_UPLOAD_CONCURRENCY", "0")
        with pytest.raises(Exception, match="KOTAE_UPLOAD_CONCURRENCY"):
            load_settings()
