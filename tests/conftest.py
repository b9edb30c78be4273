"""Shared fixtures: the sample corpus indexed once for the run, where the real public data lives, and skipping
cleanly when it is absent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import launch, require_chromium
from kotae_env import clear_kotae_env

from ingest.pipeline import run_ingest
from kotae.settings import load_settings
from service.answer import Answerer
from service.reader.search import Searcher

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CORPUS = REPO_ROOT / "corpus"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public documents beside the project; skips the test when it is absent."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip(f"real data not found at {SHARED_DATA} (clone the project beside ../shared to run this)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`corpus/` ingested once for the whole run, on default settings. Tests that use it only read the index
    (an app started on it may add its audit log beside it); tests that change documents build their own, and
    tests that start another process on it copy it first (this process may hold it: see kotae/index/owner.py)."""
    path = tmp_path_factory.mktemp("corpus") / "store"
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        summary = run_ingest([CORPUS], load_settings(path))
    assert summary.failed == [] and summary.documents == 6, summary
    return path


@pytest.fixture(scope="module")
def corpus_answerer(corpus_store: Path) -> Answerer:
    """An `Answerer` over `corpus_store` on default settings (no KOTAE_* from the environment): the reader tests'
    word weights (IDF) and searcher."""
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        return Answerer(Searcher(load_settings(corpus_store)))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (skipped, with the reason, where it is not installed)."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        instance = launch(p)
        yield instance
        instance.close()
