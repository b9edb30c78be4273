"""OCR has a budget per file (KOTAE_OCR_MAX_PAGES, KOTAE_OCR_MAX_SECONDS): pages past it are listed as needing
OCR with the reason, and the file is indexed with what was read. Real scans built in tmp_path (image-only pages
made with reportlab and poppler), real tesseract, real stores through `run_ingest` and the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from pdf_fixtures import make_scanned_pdf

from ingest.loaders.budget import Budget
from ingest.loaders.ocr import ocr_available
from ingest.loaders.pdf_file import load_pdf
from ingest.meta import Overrides
from ingest.pipeline import run_ingest
from ingest.prepare import Job, Prepared, prepare
from kotae.index.catalog import Catalog
from kotae.settings import load_settings
from service.app import create_app

pytestmark = pytest.mark.skipif(not ocr_available(), reason="tesseract with jpn data and pdftoppm are not installed")

SCAN_TEXT = "\n".join(["みずほ野市　窓口業務の改善に関する報告書",
                       "本市では、令和六年度から書かない窓口を導入しました。",
                       "申請書の記入に要する時間は、平均で十二分から三分に短縮されました。"])


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A five-page scan without a text layer."""
    return make_scanned_pdf(tmp_path_factory.mktemp("scan") / "docs" / "窓口報告書.pdf", 5, SCAN_TEXT)


def test_page_budget_reads_the_first_pages_and_lists_the_rest(scan: Path) -> None:
    """KOTAE_OCR_MAX_PAGES=2 of 5: pages 1-2 are read, 3-5 listed with a reason naming the setting."""
    extracted = load_pdf(scan, budget=Budget(max_unpacked_bytes=1, ocr_max_pages=2, ocr_max_seconds=600))
    assert extracted.ocr_pages == (1, 2) and extracted.needs_ocr == (3, 4, 5)
    assert extracted.needs_ocr_reason == ("needs OCR: pages 3-5 not read: the OCR budget is 2 pages a file "
                                          "(KOTAE_OCR_MAX_PAGES)")
    first, second = (extracted.text[p.start:p.end] for p in extracted.pages[:2])
    assert "書かない窓口" in first and "書かない窓口" in second
    assert all(p.start == p.end for p in extracted.pages[2:])


def test_time_budget_stops_ocr_and_says_so(scan: Path) -> None:
    """A budget shorter than one page (a page takes seconds): the page is cut off, and no page runs past it."""
    extracted = load_pdf(scan, budget=Budget(max_unpacked_bytes=1, ocr_max_pages=100, ocr_max_seconds=0.05))
    assert extracted.ocr_pages == () and extracted.needs_ocr == (1, 2, 3, 4, 5)
    assert extracted.needs_ocr_reason == ("needs OCR: pages 1-5 not read: the OCR budget is 0.05 s a file "
                                          "(KOTAE_OCR_MAX_SECONDS)")


def test_the_reason_reaches_the_prepared_document(scan: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preparation step (the ingestion worker's) keeps the loader's reason on the Document, with the
    budget read from the environment as the worker reads it."""
    monkeypatch.setenv("KOTAE_OCR_MAX_PAGES", "1")
    job = Job(scan, scan.name, "0" * 64, "v", Overrides(), 400, 800, "A")
    prepared = prepare(job)
    assert isinstance(prepared, Prepared), prepared
    assert prepared.doc.needs_ocr == (2, 3, 4, 5) and prepared.chunks
    assert prepared.doc.needs_ocr_reason is not None and "KOTAE_OCR_MAX_PAGES" in prepared.doc.needs_ocr_reason


def test_ingest_indexes_what_was_read_within_the_budget(scan: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the pipeline and the admin page's list: the scan is searchable from pages 1-2 and shows as 要OCR
    with pages 3-5."""
    monkeypatch.setenv("KOTAE_OCR_MAX_PAGES", "2")
    settings = load_settings(tmp_path / "store")
    summary = run_ingest([scan.parent], settings)
    assert summary.failed == [] and summary.added == 1
    assert [(e["source"], e["pages"]) for e in summary.needs_ocr] == [(scan.name, [3, 4, 5])]
    catalog = Catalog(tmp_path / "store" / "catalog.sqlite")
    chunks = catalog.chunks_of(scan.name)
    assert chunks and {c.page for c in chunks} <= {1, 2}
    assert any("書かない窓口" in c.text for c in chunks)
    with TestClient(create_app(settings)) as client:
        listed = {d["source"]: d for d in client.get("/api/documents").json()["documents"]}
    assert listed[scan.name]["status"] == "needs_ocr" and listed[scan.name]["needs_ocr_pages"] == [3, 4, 5]


def test_a_scan_with_nothing_read_fails_with_the_budget_reason(scan: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """When the budget leaves no text at all, the failure the admin page shows names the budget."""
    monkeypatch.setenv("KOTAE_OCR_MAX_SECONDS", "0.05")
    settings = load_settings(tmp_path / "store")
    summary = run_ingest([scan.parent], settings)
    reason = {f["source"]: f["reason"] for f in summary.failed}[scan.name]
    assert reason == "needs OCR: pages 1-5 not read: the OCR budget is 0.05 s a file (KOTAE_OCR_MAX_SECONDS)"
    with TestClient(create_app(settings)) as client:
        listed = {d["source"]: d for d in client.get("/api/documents").json()["documents"]}
    assert listed[scan.name]["status"] == "failed" and listed[scan.name]["reason"] == reason
