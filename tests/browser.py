"""The browser the web tests drive: Debian's Chromium through Playwright (no browser download), headless, with
nothing that reaches the network on its own (the `browser` fixture in conftest.py launches it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
