"""Ingest all of ../shared/data once and check what the store holds (skipped when the data is absent)."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ingest.pipeline import Summary, run_ingest
from kotae.index.catalog import Catalog, DocumentRecord
from kotae.index.store import StorePaths
from kotae.settings import load_settings
from kotae.types import Chunk

pytestmark = pytest.mark.slow

TURN_LINE = re.compile(r"^○", re.MULTILINE)
SPACED_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff]")
NO_TEXT_PDF = "pdf/nankoku/425_2022_03__報告第９号（追加議案・提案理由）.pdf"


@pytest.fixture(scope="module")
def ingested(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Summary, Catalog, Path]:
    store = tmp_path_factory.mktemp("store")
    summary = run_ingest([shared_data], load_settings(store))
    return summary, Catalog(StorePaths(store).catalog), store


def _chunks_of(catalog: Catalog, source: str) -> list[Chunk]:
    return catalog.chunks_of(source)


def test_every_readable_document_is_indexed_and_the_rest_explained(
    ingested: tuple[Summary, Catalog, Path], shared_data: Path
) -> None:
    summary, catalog, _ = ingested
    documents = catalog.documents()
    readable = {
        p.relative_to(shared_data).as_posix()
        for p in shared_data.rglob("*")
        if p.suffix.lower() in {".txt", ".md", ".html", ".pdf"}
    }
    failed = {f["source"]: f["reason"] for f in summary.failed}
    assert readable <= set(documents) | set(failed)
    # Only files of types Kotae does not read may fail, each with a reason that says so.
    for source, reason in failed.items():
        if source == NO_TEXT_PDF:
            assert reason.startswith("needs OCR")
        else:
            assert Path(source).suffix in {".tsv", ".jsonl"}, (source, reason)
            assert "unsupported file type" in reason
    assert summary.added == len(documents)
    assert summary.chunks == catalog.chunk_count() > 0


def test_minutes_turns_speakers_roles_and_dates(ingested: tuple[Summary, Catalog, Path], shared_data: Path) -> None:
    _, catalog, _ = ingested
    documents = catalog.documents()
    minutes = sorted((shared_data / "minutes" / "tokyo-2020").glob("*.txt"))
    assert len(minutes) == 10
    for path in minutes:
        source = path.relative_to(shared_data).as_posix()
        record: DocumentRecord = documents[source]
        text = path.read_text(encoding="utf-8")
        assert record.doc_type == "minutes"
        assert record.date == path.name[:10]  # files are named YYYY-MM-DD_…; the date comes from the text
        chunks = _chunks_of(catalog, source)
        assert {c.speaker for c in chunks if c.speaker}, source
        turn_numbers = {c.turn for c in chunks if c.turn is not None}
        assert len(turn_numbers) == len(TURN_LINE.findall(text)), source
        for c in chunks:
            assert text[c.start : c.end] == c.text
            assert c.speaker_role in (None, "chair", "member", "executive", "other")
            assert c.date == record.date
    second = "minutes/tokyo-2020/2020-02-26_令和二年東京都議会会議録第二号.txt"
    roles = Counter(
        (c.speaker, c.speaker_role)
        for c in _chunks_of(catalog, second)
        if c.speaker in ("小池百合子", "石川良一", "増子ひろき")
    )
    assert set(roles) == {("小池百合子", "executive"), ("石川良一", "chair"), ("増子ひろき", "member")}


def test_pdf_pages_are_numbered_and_not_spaced_out(ingested: tuple[Summary, Catalog, Path]) -> None:
    _, catalog, _ = ingested
    record = catalog.documents()["pdf/nankoku/425_2022_03__施政方針.pdf"]
    assert record.pages > 1
    chunks = _chunks_of(catalog, record.source)
    assert {c.page for c in chunks} == set(range(1, record.pages + 1))
    text = "".join(c.text for c in chunks)
    assert not SPACED_CJK.search(text)
    assert "南国市" in text


def test_page_without_text_layer_is_read_by_ocr_or_reported(ingested: tuple[Summary, Catalog, Path]) -> None:
    summary, catalog, _ = ingested
    documents = catalog.documents()
    if shutil.which("tesseract") and shutil.which("pdftoppm"):
        assert NO_TEXT_PDF in documents
        text = "".join(c.text for c in _chunks_of(catalog, NO_TEXT_PDF))
        assert "報告" in text and "損害賠償" in text
    else:
        assert any(f["source"] == NO_TEXT_PDF and "needs OCR" in f["reason"] for f in summary.failed)


def test_ordinance_html_text_and_date(ingested: tuple[Summary, Catalog, Path]) -> None:
    _, catalog, _ = ingested
    record = catalog.documents()["reiki/katsuragi/k518RG00000012.html"]
    assert record.doc_type == "ordinance"
    assert record.title == "かつらぎ町表彰規程"
    assert record.date == "1968-09-10"
    text = "".join(c.text for c in _chunks_of(catalog, record.source))
    assert "第1条" in text and "<" not in text


def test_second_run_changes_nothing(ingested: tuple[Summary, Catalog, Path], shared_data: Path) -> None:
    summary, catalog, store = ingested
    generation = catalog.generation()
    again = run_ingest([shared_data], load_settings(store))
    assert (again.added, again.updated, again.removed, again.embedded_chunks) == (0, 0, 0, 0)
    assert again.unchanged == summary.added
    assert catalog.generation() == generation
