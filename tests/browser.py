"""The browser the web tests drive: Debian's Chromium through Playwright (no browser download), headless, with
nothing that reaches the network on its own (the `browser` fixture in conftest.py launches it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kotae_env import clear_kotae_env

from eval.processes import free_port
from ingest.pipeline import run_ingest
from kotae.settings import load_settings

REPO = Path(__file__).resolve().parents[1]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def require_chromium() -> None:
    """Skip the test, saying why, where Debian's Chromium is not installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (the dev setup installs Debian's chromium)")


def launch(playwright: Any) -> Any:
    """Headless Chromium from Debian's package."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)


@contextmanager
def serving(store: Path, log_file: Path) -> Iterator[str]:
    """`kotae serve` on a free loopback port over `store` (no KOTAE_ settings of the caller's), its output in
    `log_file`; yields its base URL once /healthz answers and stops it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOTAE_")}
    with open(log_file, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--store", str(store),
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log_file.read_text(encoding="utf-8")) from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def serving_corpus(root: Path, add: Callable[[Path], None] | None = None) -> Iterator[str]:
    """`kotae serve` over a fresh copy of corpus/ in `root` (with what `add` writes into the copy), indexed on
    default settings into `root/store`; yields its base URL."""
    shutil.copytree(REPO / "corpus", root / "docs")
    if add is not None:
        add(root / "docs")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        run_ingest([root / "docs"], load_settings(root / "store"))
    with serving(root / "store", root / "serve.log") as base:
        yield base
