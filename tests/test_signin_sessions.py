"""Credentials end when they should, through the real app and the real `kotae user` command: a password change
ends the user's sessions; tokens can be listed (never their secret), revoked one by one or all at once, and
can expire. users.sqlite carries a schema version: a store written by the code before it (the fixture
`store-v1.tar.gz`) is migrated in place with its tokens, session and password intact; a newer one is refused."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from cli.main import main
from kotae.auth import SCHEMA_VERSION, UserStore
from kotae.errors import StoreError
from kotae.settings import load_settings
from service.app import create_app

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "store-v1.tar.gz"
SAME_ORIGIN = {"Origin": "http://testserver"}  # what the web app's fetch sends
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def app_for(store: Path) -> TestClient:
    """The app with KOTAE_AUTH=on over `store` (use as a context manager, so it starts)."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_AUTH", "on")
        mp.setenv("KOTAE_RATE_LIMIT_PER_MINUTE", "0")
        return TestClient(create_app(load_settings(store)))


def cli(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run `kotae ARGV...` in-process; returns (exit status, stdout, stderr)."""
    capsys.readouterr()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        status = main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return status, out, err


def me(client: TestClient, token: str | None = None, cookie: str | None = None) -> int:
    """The status of GET /api/me with a token or a session cookie."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    cookies = {"kotae_session": cookie} if cookie else None
    return TestClient(client.app, cookies=cookies).get("/api/me", headers=headers).status_code


def login(client: TestClient, name: str, password: str) -> str | None:
    """Sign in as the web app does; the session cookie, or None when refused."""
    browser = TestClient(client.app)
    response = browser.post("/api/login", json={"name": name, "password": password}, headers=SAME_ORIGIN)
    return browser.cookies.get("kotae_session") if response.status_code == 200 else None


def listed_ids(capsys: pytest.CaptureFixture[str], store: Path, name: str) -> list[str]:
    status, out, err = cli(capsys, "user", "token", name, "--list", "--store", str(store))
    assert status == 0, err
    return [line.split("\t")[0] for line in out.splitlines()]


@pytest.fixture(scope="module")
def store(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus store (these tests add users)."""
    copy = tmp_path_factory.mktemp("sessions") / "store"
    shutil.copytree(corpus_store, copy)
    return copy


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[TestClient]:
    with app_for(store) as test_client:
        yield test_client


# --- passwords and sessions ---------------------------------------------------------------------------------------


def test_password_change_ends_the_users_sessions(client: TestClient, store: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`kotae user passwd` ends every session of that user (and only theirs); the new password signs in."""
    users = UserStore(store)
    users.add("ito", "staff", ["総務課"])
    users.add("ueda", "staff", ["総務課"])
    users.set_password("ito", PASSWORD)
    users.set_password("ueda", PASSWORD)
    first, second, other = login(client, "ito", PASSWORD), login(client, "ito", PASSWORD), login(client, "ueda",
                                                                                               PASSWORD)
    assert first and second and other
    assert me(client, cookie=first) == me(client, cookie=second) == 200
    status, _, err = cli(capsys, "user", "passwd", "ito", "--store", str(store), stdin="新しい長いパスワード456\n")
    assert status == 0 and "sessions" in err
    assert me(client, cookie=first) == me(client, cookie=second) == 401
    assert me(client, cookie=other) == 200  # another user's session is untouched
    assert login(client, "ito", PASSWORD) is None
    assert login(client, "ito", "新しい長いパスワード456") is not None


# --- tokens -----------------------------------------------------------------------------------------------------


def test_token_list_shows_ids_never_secrets(client: TestClient, store: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--list prints id, created and expiry per token; the id is not the token and reveals no part of it."""
    status, out, _ = cli(capsys, "user", "add", "kato", "--role", "staff", "--store", str(store))
    first = out.strip().splitlines()[-1]
    status, out, _ = cli(capsys, "user", "token", "kato", "--expires-days", "30", "--store", str(store))
    assert status == 0
    second = out.strip().splitlines()[-1]
    status, out, _ = cli(capsys, "user", "token", "kato", "--list", "--store", str(store))
    assert status == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == 2 and all(len(row) == 3 for row in rows)
    assert all(re.fullmatch(r"[0-9a-f]{12}", row[0]) for row in rows)
    assert rows[0][2] == "never" and rows[1][2].startswith("20")
    for token in (first, second):
        assert token not in out and token[3:15] not in out
    assert me(client, first) == me(client, second) == 200


def test_revoke_one_token_then_all(client: TestClient, store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--revoke ID ends exactly that token; --revoke all ends the rest and the user's web sessions."""
    status, out, _ = cli(capsys, "user", "add", "sato", "--role", "admin", "--store", str(store))
    first = out.strip().splitlines()[-1]
    second = cli(capsys, "user", "token", "sato", "--store", str(store))[1].strip().splitlines()[-1]
    third = cli(capsys, "user", "token", "sato", "--store", str(store))[1].strip().splitlines()[-1]
    UserStore(store).set_password("sato", PASSWORD)
    session = login(client, "sato", PASSWORD)
    ids = listed_ids(capsys, store, "sato")
    assert len(ids) == 3
    revoked = ids[1]
    status, _, err = cli(capsys, "user", "token", "sato", "--revoke", revoked, "--store", str(store))
    assert status == 0 and revoked in err
    assert me(client, second) == 401, "the token with that id"
    assert me(client, first) == me(client, third) == me(client, cookie=session) == 200
    assert revoked not in listed_ids(capsys, store, "sato")
    status, _, err = cli(capsys, "user", "token", "sato", "--revoke", revoked, "--store", str(store))
    assert status == 2 and "no token" in err  # already gone: said so, not silently
    status, _, err = cli(capsys, "user", "token", "sato", "--revoke", "all", "--store", str(store))
    assert status == 0 and "2 token(s)" in err
    assert me(client, first) == me(client, third) == me(client, cookie=session) == 401
    assert listed_ids(capsys, store, "sato") == []


def test_expired_tokens_are_refused_like_unknown_ones(client: TestClient, store: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A token whose expiry has passed answers exactly as a made-up token, and --list marks it expired."""
    status, out, _ = cli(capsys, "user", "add", "abe", "--role", "staff", "--token-expires-days", "7",
                         "--store", str(store))
    assert status == 0
    token = out.strip().splitlines()[-1]
    assert me(client, token) == 200
    with sqlite3.connect(store / "users.sqlite") as db:  # eight days later, as the clock would have it
        db.execute("UPDATE tokens SET expires = '2000-01-01T00:00:00+00:00' WHERE name = 'abe'")
    expired = client.post("/api/search", json={"query": "窓口"}, headers={"Authorization": f"Bearer {token}"})
    unknown = client.post("/api/search", json={"query": "窓口"}, headers={"Authorization": "Bearer kt_made_up"})
    assert expired.status_code == unknown.status_code == 401
    assert expired.json() == unknown.json()
    assert "(expired)" in cli(capsys, "user", "token", "abe", "--list", "--store", str(store))[1]


@pytest.mark.parametrize("argv", [
    ("user", "token", "nobody"),
    ("user", "token", "nobody", "--list"),
    ("user", "token", "nobody", "--revoke", "all"),
    ("user", "token", "ota", "--revoke", "zz-not-an-id"),
])
def test_bad_token_commands_exit_2_with_the_reason(store: Path, capsys: pytest.CaptureFixture[str],
                                                   argv: tuple[str, ...]) -> None:
    """An unknown user or a malformed id exits 2 and names what was wrong; no token is printed."""
    users = UserStore(store)
    if users.get("ota") is None:
        users.add("ota", "staff", [])
    status, out, err = cli(capsys, *argv, "--store", str(store))
    assert status == 2 and out == ""
    assert ("nobody" in err) or ("zz-not-an-id" in err and "--list" in err)


@pytest.mark.parametrize("days", ["0", "-3", "1.5", "99999"])
def test_expiry_must_be_a_whole_number_of_days(store: Path, capsys: pytest.CaptureFixture[str], days: str) -> None:
    """--expires-days takes 1 to 3650 whole days; anything else is a usage error naming the option."""
    with pytest.raises(SystemExit) as caught:
        main(["user", "token", "ota", f"--expires-days={days}", "--store", str(store)])
    assert caught.value.code == 2
    assert "--expires-days" in capsys.readouterr().err


# --- the schema version -------------------------------------------------------------------------------------------


@pytest.fixture
def legacy(tmp_path: Path) -> tuple[Path, list[str]]:
    """store-v1.tar.gz unpacked (a store as the previous release left it), its catalogue pointed at the
    unpacked documents; returns the store and tokens.txt (tanaka's token, admin1's token, tanaka's cookie)."""
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    store = tmp_path / "store"
    with sqlite3.connect(store / "catalog.sqlite") as db:
        db.execute("UPDATE documents SET root = ?", (str(tmp_path / "docs"),))
    return store, (tmp_path / "tokens.txt").read_text(encoding="utf-8").split()


def test_store_from_the_previous_release_keeps_working(legacy: tuple[Path, list[str]],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Opened by this code, the old users.sqlite is migrated in place: the old tokens, session and password
    work; then a password change ends the old session, and --revoke ends the old tokens."""
    store, (tanaka_token, admin_token, tanaka_cookie) = legacy
    with sqlite3.connect(store / "users.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0  # written before schema versions
    with app_for(store) as client:
        with sqlite3.connect(store / "users.sqlite") as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert "expires" in {row[1] for row in db.execute("PRAGMA table_info(tokens)")}
        assert me(client, tanaka_token) == me(client, admin_token) == me(client, cookie=tanaka_cookie) == 200
        seen = TestClient(client.app, cookies={"kotae_session": tanaka_cookie}).get("/api/me").json()
        assert (seen["name"], seen["role"], seen["groups"]) == ("tanaka", "staff", ["everyone", "人事課"])
        assert login(client, "tanaka", "legacy-password-1") is not None
        ids = listed_ids(capsys, store, "tanaka")
        assert len(ids) == 1 and listed_ids(capsys, store, "admin1") != ids
        status, _, _ = cli(capsys, "user", "passwd", "tanaka", "--store", str(store), stdin="a new password 2\n")
        assert status == 0
        assert me(client, cookie=tanaka_cookie) == 401
        assert login(client, "tanaka", "legacy-password-1") is None
        assert me(client, tanaka_token) == 200  # a password change leaves API tokens alone
        assert cli(capsys, "user", "token", "tanaka", "--revoke", ids[0], "--store", str(store))[0] == 0
        assert me(client, tanaka_token) == 401 and me(client, admin_token) == 200
        assert cli(capsys, "user", "token", "admin1", "--revoke", "all", "--store", str(store))[0] == 0
        assert me(client, admin_token) == 401
    reopened = UserStore(store)  # a second opening finds the current version and changes nothing
    assert [u.name for u in reopened.users()] == ["admin1", "tanaka"]


def test_a_newer_schema_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """users.sqlite from a newer release is refused with its version and what to do, and left as it was."""
    UserStore(tmp_path).add("mori", "staff", [])
    with sqlite3.connect(tmp_path / "users.sqlite") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError) as caught:
        UserStore(tmp_path)
    message = str(caught.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message and "upgrade Kotae" in message
    status, out, err = cli(capsys, "user", "list", "--store", str(tmp_path))
    assert status == 2 and out == "" and "upgrade Kotae" in err
    with sqlite3.connect(tmp_path / "users.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert db.execute("SELECT name FROM users").fetchall() == [("mori",)]
