"""Screenshots of the staff and admin pages for the README: `kotae serve` over the sample corpus, driven by
Playwright in Debian's Chromium at 1366×768 and at phone width.

    python docs/make_screenshots.py        # writes docs/screenshots/*.png
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--lang=ja"]


def main() -> None:
    """Serve the corpus, open both pages, save the screenshots."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shutil.copytree(REPO / "corpus", root / "docs")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
        subprocess.run([sys.executable, "-m", "cli.main", "ingest", str(root / "docs"), "--store",
                        str(root / "store")], check=True, env=env, stdout=subprocess.DEVNULL)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--store", str(root / "store"),
                                   "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base + "/healthz")
            OUT.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="ja-JP")
                page.goto(base + "/")
                page.screenshot(path=str(OUT / "staff-start.png"), full_page=True)
                page.fill("#question", "生成AIに個人情報を入力してよいですか")
                page.click("#submit")
                page.wait_for_selector("#answer .cite")
                page.screenshot(path=str(OUT / "staff-answer.png"), full_page=True)
                page.locator("#answer .cite").first.click()
                page.wait_for_selector("#passage-dialog mark")
                page.screenshot(path=str(OUT / "staff-citation.png"))
                page.keyboard.press("Escape")
                page.goto(base + "/")
                page.fill("#question", "仮名化した情報なら庁内生成AIに入力してよいか")  # a rule cited by its 条・項
                page.click("#submit")
                page.wait_for_selector("#answer .cite")
                page.locator("#answer").screenshot(path=str(OUT / "staff-article.png"))
                page.check("#mode-draft")
                page.fill("#question", "書かない窓口の拡大について")
                page.fill("#questioner", "早瀬亮介")
                page.click("#submit")
                page.wait_for_selector("#download-docx")
                page.screenshot(path=str(OUT / "staff-draft.png"), full_page=True)
                page.check("#mode-notice")
                page.fill("#question", (REPO / "eval" / "notices" / "corpus-3items.txt").read_text(encoding="utf-8"))
                page.click("#submit")
                page.wait_for_selector("#notice-items .notice-item")
                page.screenshot(path=str(OUT / "staff-notice.png"), full_page=True)
                page.goto(base + "/admin")
                page.wait_for_selector("#documents tr")
                page.screenshot(path=str(OUT / "admin.png"), full_page=True)
                phone = browser.new_page(viewport={"width": 375, "height": 740}, locale="ja-JP")
                phone.goto(base + "/")
                phone.screenshot(path=str(OUT / "staff-phone.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(REPO))


def _wait(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


if __name__ == "__main__":
    main()
