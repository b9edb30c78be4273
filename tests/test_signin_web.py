"""Sign-in in the real browser (Playwright driving Debian's Chromium against `kotae serve` with KOTAE_AUTH=on):
the login page's `next` never leads off the site, and a page on another port of the same host — whose
requests carry the admin's SameSite=Strict cookie, being the same site — cannot upload a document or start an
ingestion. Skipped, with the reason, when Chromium is not installed."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from browser import require_chromium

from eval.processes import clean_env, free_port
from kotae.auth import UserStore

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
PLANTED = "プール開放のお知らせ.txt"
# The other origin's page: it submits what the probe sent as plain forms (the browser adds its cookies; the
# response is a page of its own, so what the service answered can be read).
ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>another app on this host</title><script>
function submit(action, enctype, fill) {
  const form = document.createElement("form");
  form.method = "POST"; form.action = action; form.enctype = enctype;
  fill(form);
  document.body.append(form);
  form.submit();
}
window.plant = (base) => submit(base + "/api/admin/upload", "multipart/form-data", (form) => {
  const input = document.createElement("input");
  input.type = "file"; input.name = "files";
  const files = new DataTransfer();
  files.items.add(new File(["市民プールは毎日午前三時に開放いたします。"], "PLANTED", { type: "text/plain" }));
  input.files = files.files;
  form.append(input);
});
window.ingest = (base) => submit(base + "/api/admin/jobs", "text/plain", (form) => {
  const input = document.createElement("input");
  input.name = "{}"; input.value = "";
  form.append(input);
});
</script><body></body>""".replace("PLANTED", PLANTED)


@pytest.fixture(scope="module")
def store(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the corpus store with an admin who has a web password."""
    copy = tmp_path_factory.mktemp("signin-web") / "store"
    shutil.copytree(corpus_store, copy)
    users = UserStore(copy)
    users.add("kanri", "admin", ["DX推進課"])
    users.set_password("kanri", PASSWORD)
    return copy


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[str]:
    """`kotae serve` with KOTAE_AUTH=on on a loopback port; yields its base URL."""
    require_chromium()
    port = free_port()
    log = store.parent / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--store", str(store), "--port",
                                 str(port)], cwd=REPO, env=clean_env({"KOTAE_AUTH": "on"}), stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text(encoding="utf-8"))
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def context(browser: Any, server: str) -> Iterator[Any]:
    """A fresh browser profile in which any host but loopback answers with a stand-in page (nothing leaves
    the machine, and where a navigation ended is plain to see)."""
    ctx = browser.new_context(locale="ja-JP")

    def elsewhere(route: Any) -> None:
        route.fulfill(status=200, content_type="text/html", body="<title>off-site</title><p>off-site</p>")

    ctx.route(lambda url: urlsplit(url).hostname != "127.0.0.1", elsewhere)
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


def sign_in(page: Any, server: str, next_path: str) -> None:
    """Open /login?next=NEXT (as written, unencoded, as a crafted link would be) and sign in as the admin."""
    page.goto(f"{server}/login?next={next_path}")
    page.fill("#login-name", "kanri")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/login"))


def test_signing_in_with_a_crafted_next_stays_on_the_site(context: Any, server: str) -> None:
    """/login?next=/.//evil.example/ — whose normalised path //evil.example/ is another host as a link — ends
    on this site's staff page after signing in."""
    page = context.new_page()
    sign_in(page, server, "/.//evil.example/")
    assert urlsplit(page.url).netloc == urlsplit(server).netloc, page.url
    assert page.url == server + "/"
    assert page.title() != "off-site"


OFF_SITE = ["/.//evil.example/", "/..//evil.example/x", "/%2e%2e//evil.example/", "/./\\evil.example",
            "/\\/evil.example", "//evil.example", "/\t/evil.example", "\\\\evil.example", "https://evil.example/",
            "javascript:alert(1)", "/login", "", "evil.example"]


def test_next_never_leaves_the_site_and_keeps_local_paths(context: Any, server: str) -> None:
    """Signed in, the login page goes straight to `next`: every spelling that normalises to another host (or
    is not a path) gives the staff page; a local path with its query and fragment is kept."""
    page = context.new_page()
    sign_in(page, server, "/")
    for raw in OFF_SITE:
        page.goto(f"{server}/login?next={quote(raw, safe='')}")
        page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/login"))
        assert page.url == server + "/", (raw, page.url)
    page.goto(f"{server}/login?next={quote('/admin?view=audit#events', safe='')}")
    page.wait_for_url(lambda url: not urlsplit(url).path.startswith("/login"))
    assert page.url == server + "/admin?view=audit#events"


class AttackPage(http.server.BaseHTTPRequestHandler):
    """Another app on the same host: serves ATTACK_PAGE."""

    def do_GET(self) -> None:
        body = ATTACK_PAGE.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def other_origin() -> Iterator[http.server.ThreadingHTTPServer]:
    """A real server on another loopback port (a page whose origin differs only by the port). Served for
    real rather than faked by Playwright: Chromium treats a faked page as coming from a public address and
    would block its requests to loopback before the service could refuse them."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_a_page_on_another_port_cannot_plant_a_document(context: Any, server: str, store: Path,
                                                        other_origin: http.server.ThreadingHTTPServer) -> None:
    """With the admin signed in, a page on another port of the host submits a multipart upload and POST
    /api/admin/jobs. The browser attaches the session cookie (same site); the service refuses both (403)
    and nothing is saved or run. The same upload from the admin page itself is saved."""
    page = context.new_page()
    sign_in(page, server, "/admin")
    attacker = f"http://127.0.0.1:{other_origin.server_address[1]}/"
    for action, path in (("plant", "/api/admin/upload"), ("ingest", "/api/admin/jobs")):
        page.goto(attacker)
        with page.expect_response(lambda response, path=path: urlsplit(response.url).path == path) as answered:
            page.evaluate(f"base => {action}(base)", server)
        response = answered.value
        headers = response.request.all_headers()
        assert response.request.method == "POST"
        assert "kotae_session=" in headers.get("cookie", ""), "the cookie went along: the threat is real"
        # Over plain http Chromium sends no Sec-Fetch-Site here: the Origin check is what refuses it.
        assert headers.get("origin") == attacker.rstrip("/")
        assert response.status == 403, path
        assert "another" in response.json()["detail"]
    assert not (store / "uploads" / PLANTED).exists()
    jobs = page.request.get(server + "/api/admin/jobs/current")
    assert jobs.status != 200, "no ingestion was started (there is no current job)"
    page.goto(server + "/admin")
    page.evaluate("""async () => {
      const form = new FormData();
      form.append("files", new File(["市民プールは七月二十日から開放いたします。"], "own.txt", { type: "text/plain" }));
      const response = await fetch("/api/admin/upload", { method: "POST", body: form });
      if (!response.ok) throw new Error("own upload: HTTP " + response.status);
    }""")
    assert (store / "uploads" / "own.txt").exists()
