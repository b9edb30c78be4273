"""Shared fixtures: where the real public data lives, and skipping cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public documents beside the project; skips the test when it is absent."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA} (clone the project beside ../shared to run this)")
    return SHARED_DATA
