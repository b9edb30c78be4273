"""The header mode trusts only the socket's peer: `kotae serve` (a real process on loopback) does not let an
X-Forwarded-For header change who is asking, KOTAE_AUTH_TRUSTED_PROXIES has no default and must be valid
addresses or networks, and what a trusted proxy forwards (client address, scheme) is used only from it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env

from eval.processes import clean_env, free_port
from kotae.auth import UserStore
from kotae.errors import SettingsError
from kotae.settings import Settings, load_settings
from service.app import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"X-Remote-User": "suzuki", "X-Remote-Groups": "dx,kotae-admins"}


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def settings_with(env: dict[str, str], store: Path | None = None) -> Settings:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        for key, value in env.items():
            mp.setenv(key, value)
        return load_settings(store)


# --- the setting ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unset", [None, "[]"])
def test_header_mode_refuses_to_start_without_trusted_proxies(unset: str | None) -> None:
    """KOTAE_AUTH=header with no list (or an empty one) fails at settings load, saying what to set."""
    env = {"KOTAE_AUTH": "header"} | ({"KOTAE_AUTH_TRUSTED_PROXIES": unset} if unset else {})
    with pytest.raises(SettingsError) as caught:
        settings_with(env)
    message = str(caught.value)
    assert "KOTAE_AUTH_TRUSTED_PROXIES" in message and 'KOTAE_AUTH_TRUSTED_PROXIES=["' in message


def test_trusted_proxies_has_no_default_in_any_mode() -> None:
    """Loopback is no longer trusted by default (anyone on the host could claim to be the proxy)."""
    for mode in ("off", "on"):
        auth = settings_with({"KOTAE_AUTH": mode}).auth
        assert auth.trusted_proxies == [] and not auth.trusts("127.0.0.1") and not auth.trusts("::1")


def test_bad_trusted_proxy_entries_are_named() -> None:
    """Every entry that is not an address or network is named, with the reason."""
    with pytest.raises(SettingsError) as caught:
        settings_with({"KOTAE_AUTH": "header",
                       "KOTAE_AUTH_TRUSTED_PROXIES": '["10.0.0.5", "proxy.city.local", "10.0.1.7/24", "::1"]'})
    message = str(caught.value)
    assert "KOTAE_AUTH_TRUSTED_PROXIES" in message
    assert "'proxy.city.local'" in message and "'10.0.1.7/24'" in message and "host bits" in message
    assert "'10.0.0.5'" not in message and "'::1'" not in message


def test_trusted_proxies_accept_addresses_and_networks() -> None:
    """Addresses and networks, IPv4 and IPv6; an IPv4 peer seen through a dual-stack socket matches too."""
    auth = settings_with({"KOTAE_AUTH": "header",
                          "KOTAE_AUTH_TRUSTED_PROXIES": '["10.0.0.0/24", "::1", "192.0.2.7"]'}).auth
    for host in ("10.0.0.1", "10.0.0.254", "::1", "192.0.2.7", "::ffff:10.0.0.9"):
        assert auth.trusts(host), host
    refused: tuple[str | None, ...] = ("10.0.1.1", "127.0.0.1", "192.0.2.8", "testclient", "", None,
                                       "10.0.0.1, 127.0.0.1")
    for other in refused:
        assert not auth.trusts(other), other


# --- the real server ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus store (these tests add users and logs to it)."""
    copy = tmp_path_factory.mktemp("proxy") / "store"
    shutil.copytree(corpus_store, copy)
    return copy


class Served:
    """`kotae serve` running on a loopback port with the given KOTAE_* settings."""

    def __init__(self, store: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cli.main", "serve", "--store", str(store), "--port", str(self.port)],
                cwd=REPO_ROOT, env=clean_env(env), stdout=out, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"kotae serve exited:\n{self.log.read_text()}"
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise AssertionError(f"kotae serve did not answer:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def servers(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two header-mode servers, each on its own copy of the store (a server holds its store): one trusting
    127.0.0.1 (a proxy on this host), one trusting only 10.0.0.0/24. Started together, so the model loads
    overlap."""
    root = tmp_path_factory.mktemp("proxy-servers")
    for name in ("loopback", "elsewhere"):
        shutil.copytree(corpus_store, root / name)
    loopback = Served(root / "loopback", {"KOTAE_AUTH": "header", "KOTAE_AUTH_TRUSTED_PROXIES": '["127.0.0.1"]'},
                      root / "loopback.log")
    elsewhere = Served(root / "elsewhere", {"KOTAE_AUTH": "header",
                                            "KOTAE_AUTH_TRUSTED_PROXIES": '["10.0.0.0/24"]'}, root / "elsewhere.log")
    try:
        loopback.wait()
        elsewhere.wait()
        yield loopback.base, elsewhere.base
    finally:
        loopback.stop()
        elsewhere.stop()


def test_forwarded_for_does_not_hide_a_trusted_proxy(servers: tuple[str, str]) -> None:
    """A proxy on this host that appends the client's address to X-Forwarded-For (as proxies do) is still
    seen as 127.0.0.1, so its users are signed in."""
    loopback, _ = servers
    response = httpx.get(loopback + "/api/me", headers=ADMIN | {"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "suzuki" and response.json()["role"] == "admin"


@pytest.mark.parametrize("forwarded", ["127.0.0.1", "10.0.0.7", "203.0.113.9, 10.0.0.7"])
def test_forwarded_for_does_not_make_a_request_trusted(servers: tuple[str, str], forwarded: str) -> None:
    """When loopback is not a trusted proxy, claiming a trusted address in X-Forwarded-For signs nobody in."""
    _, elsewhere = servers
    headers = ADMIN | {"X-Forwarded-For": forwarded}
    assert httpx.get(elsewhere + "/api/me", headers=headers).status_code == 401
    assert httpx.get(elsewhere + "/api/admin/folders", headers=headers).status_code == 401
    assert httpx.get(elsewhere + "/healthz", headers=headers).json()["documents"] is None


# --- what a trusted proxy forwards, through the app ---------------------------------------------------------------


@pytest.fixture(scope="module")
def on_app(store: Path) -> Iterator[TestClient]:
    """KOTAE_AUTH=on behind a TLS proxy at 10.0.0.5; three sign-in attempts a minute."""
    UserStore(store).add("kimura", "staff", ["総務課"])
    UserStore(store).set_password("kimura", "木村の長いパスワード123")
    settings = settings_with({"KOTAE_AUTH": "on", "KOTAE_AUTH_TRUSTED_PROXIES": '["10.0.0.5"]',
                              "KOTAE_RATE_LIMIT_PER_MINUTE": "3"}, store)
    with TestClient(create_app(settings), client=("10.0.0.5", 40000)) as client:
        yield client


def wrong_login(client: TestClient, name: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/api/login", json={"name": name, "password": "wrong password"}, headers=headers).status_code


def test_sign_in_limits_are_per_client_behind_a_trusted_proxy(on_app: TestClient) -> None:
    """Behind the proxy each client has its own limit of sign-in attempts (else one guesser would lock
    everyone out); the address is the one the proxy appended, not one the client wrote before it."""
    statuses = [wrong_login(on_app, f"guess{i}", "198.51.100.1") for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert wrong_login(on_app, "guess9", "198.51.100.1, 198.51.100.2") == 401  # the proxy saw .2
    assert wrong_login(on_app, "guess10", "198.51.100.2, 198.51.100.1") == 429  # the proxy saw .1 again


def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(on_app: TestClient) -> None:
    """From a peer that is not a trusted proxy, a new X-Forwarded-For per attempt changes nothing."""
    direct = TestClient(on_app.app, client=("192.0.2.50", 40000))
    statuses = [wrong_login(direct, f"spray{i}", f"203.0.113.{i}") for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_forwarded_proto_counts_only_from_the_trusted_proxy(on_app: TestClient) -> None:
    """Behind the TLS proxy the session cookie is Secure and the https page's Origin is its own; the same
    header from anyone else is ignored."""
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.77"}
    signed_in = on_app.post("/api/login", json={"name": "kimura", "password": "木村の長いパスワード123"},
                            headers=https | {"Origin": "https://testserver"})
    assert signed_in.status_code == 200, signed_in.text
    assert "secure" in signed_in.headers["set-cookie"].lower()
    direct = TestClient(on_app.app, client=("192.0.2.51", 40000))
    spoofed = direct.post("/api/login", json={"name": "kimura", "password": "木村の長いパスワード123"},
                          headers=https | {"Origin": "https://testserver"})
    assert spoofed.status_code == 403  # it came over plain http: https://testserver is another origin
    plain = direct.post("/api/login", json={"name": "kimura", "password": "木村の長いパスワード123"},
                        headers={"Origin": "http://testserver"})
    assert plain.status_code == 200 and "secure" not in plain.headers["set-cookie"].lower()


def test_settings_round_trip_in_the_json_the_operator_writes() -> None:
    """The list is written as JSON, as README shows; entries come back normalised as networks."""
    auth = settings_with({"KOTAE_AUTH": "header",
                          "KOTAE_AUTH_TRUSTED_PROXIES": json.dumps(["127.0.0.1", "fd00::/8"])}).auth
    assert auth.trusted_proxies == ["127.0.0.1/32", "fd00::/8"]
