"""The admin page's document list: failure reasons in Japanese (`service.failure_reasons`) from the reasons the real
code records, `reason_ja` in GET /api/documents, and finding documents in the list (探す / 種類 / 自治体 / 状態) in a
real browser against `kotae serve` on loopback."""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from browser import require_chromium, serving_corpus
from fastapi.testclient import TestClient
from kotae_env import clear_kotae_env
from pdf_fixtures import make_pdf
from pypdf import PdfWriter

from ingest.discover import scan
from ingest.loaders import load_file, ocr
from ingest.loaders.budget import Budget
from ingest.loaders.docx_file import load_docx
from ingest.loaders.pdf_file import load_pdf
from ingest.loaders.text_file import load_text
from ingest.loaders.zipcheck import ZipLimits
from ingest.meta import Overrides, overrides_for
from ingest.pipeline import run_ingest
from ingest.prepare import Failed, Job, prepare
from kotae.errors import LoadError
from kotae.settings import load_settings
from service.app import create_app
from service.failure_reasons import japanese_reason

REPO = Path(__file__).resolve().parents[1]
FALLBACK = "読み込めませんでした（詳細: "
NOTICE = "市民プールは七月二十日から八月三十一日まで開放いたします。\n"


@pytest.fixture(autouse=True)
def _no_kotae_env(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_kotae_env(monkeypatch)


def load_error(call: Any, *args: Any, **kwargs: Any) -> str:
    """The one-line reason the loader gives (what ingestion records for the file)."""
    with pytest.raises(LoadError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def assert_japanese(reason: str, *kept: str) -> str:
    """The reason has a rule (not the fallback), reads as Japanese and keeps the file's own details."""
    ja = japanese_reason(reason)
    assert not ja.startswith(FALLBACK), f"no rule for {reason!r}"
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja), ja
    for detail in kept:
        assert detail in ja, (detail, ja)
    return ja


# --- the reasons of the real code paths ------------------------------------------------------------------------


def test_the_briefs_examples() -> None:
    assert japanese_reason("unsupported file type '.xlsx'") == "この形式（.xlsx）は読み込めません"
    assert japanese_reason("needs OCR: no text layer on pages 1-3 and tesseract is not installed") == (
        "文字情報のないページ（1-3ページ）があり、OCR（tesseract）が未導入のため読めません")
    assert japanese_reason("unexpected error while reading (KeyError): 'Root'") == (
        "読み込み中に予期しないエラーが発生しました（KeyError）")


def test_unknown_reason_keeps_the_english() -> None:
    reason = "the moon is in the wrong phase"
    assert japanese_reason(reason) == f"読み込めませんでした（詳細: {reason}）"


def test_discovery_refusals(tmp_path: Path) -> None:
    """Links, oversized files and special files are refused before they are read (ingest/discover.py)."""
    root = tmp_path / "docs"
    root.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text(NOTICE, encoding="utf-8")
    (root / "外部リンク.txt").symlink_to(outside)
    (root / "壊れたリンク.txt").symlink_to(root / "ない.txt")
    (root / "sub").mkdir()
    (root / "フォルダのリンク.txt").symlink_to(root / "sub")
    os.mkfifo(root / "パイプ.txt")
    (root / "大きい.txt").write_text(NOTICE * 100, encoding="utf-8")
    refused = {r.source: r.reason for r in scan(root, max_bytes=1000).refused}

    assert_japanese(refused["外部リンク.txt"], "フォルダの外", str(outside))
    assert_japanese(refused["壊れたリンク.txt"], "壊れたリンク")
    assert_japanese(refused["フォルダのリンク.txt"], "フォルダへのリンク")
    assert_japanese(refused["パイプ.txt"], "通常のファイルではない")
    size = re.search(r"\(([\d.]+) MB > limit ([\d.]+) MB", refused["大きい.txt"])
    assert size is not None, refused["大きい.txt"]
    assert_japanese(refused["大きい.txt"], "大きすぎます", f"{size[1]} MB", f"{size[2]} MB", "KOTAE_INGEST_MAX_FILE_MB")


def test_unsupported_file_type(tmp_path: Path) -> None:
    """A kind Kotae does not read: the loaders' reason, and discovery's while it still refuses such files."""
    slides = tmp_path / "docs" / "説明資料.pptx"
    slides.parent.mkdir()
    slides.write_bytes(b"PK\x03\x04")
    (tmp_path / "docs" / "README").write_text(NOTICE, encoding="utf-8")
    assert assert_japanese(load_error(load_file, slides)) == "この形式（.pptx）は読み込めません"
    no_suffix = load_error(load_file, tmp_path / "docs" / "README")
    assert assert_japanese(no_suffix) == "拡張子のないファイルは読み込めません"
    found = scan(tmp_path / "docs", max_bytes=10**9)
    # Discovery refused such files, and now skips them (not a failure): either reason has a rule.
    passed = next(f.reason for f in [*found.refused, *getattr(found, "skipped", [])] if f.source == "説明資料.pptx")
    ja = assert_japanese(passed, "読み込める形式：.txt")
    assert re.match(r"この形式（\.pptx）(は読み込めません|のファイルは読み込みの対象外)", ja), ja


@pytest.mark.parametrize(("content", "kept"), [
    ("{\"title\": \"保育のしおり\",}", ("_meta.json", "JSON の書き方", "1行目")),
    ("", ("_meta.json", "空か")),
    ("[\"title\"]", ("_meta.json", "JSON のオブジェクト")),
    ("{\"kind\": \"minutes\", \"tags\": []}", ("_meta.json", "使えない項目", "kind, tags")),
    ("{\"title\": \"  \"}", ("項目「title」", "空でない文字列")),
    ("{\"date\": \"そのうち\"}", ("項目「date」", "'そのうち'", "令和6年4月1日")),
    ("{\"access_groups\": []}", ("項目「access_groups」", "リスト")),
])
def test_invalid_metadata_files(tmp_path: Path, content: str, kept: tuple[str, ...]) -> None:
    root = tmp_path / "docs"
    (root / "福祉").mkdir(parents=True)
    (root / "福祉" / "_meta.json").write_text(content, encoding="utf-8")
    document = root / "福祉" / "しおり.txt"
    document.write_text(NOTICE, encoding="utf-8")
    reason = load_error(overrides_for, document, root)
    assert "福祉/_meta.json" in reason
    assert_japanese(reason, "メタデータファイル（福祉/_meta.json）", *kept)


def test_metadata_file_in_shift_jis(tmp_path: Path) -> None:
    document = tmp_path / "しおり.txt"
    document.write_text(NOTICE, encoding="utf-8")
    (tmp_path / "しおり.txt.meta.json").write_bytes('{"title": "保育"}'.encode("cp932"))
    assert_japanese(load_error(overrides_for, document, tmp_path), "しおり.txt.meta.json", "UTF-8 で保存し直して")


def test_pdf_reasons(tmp_path: Path) -> None:
    good = make_pdf(tmp_path / "good.pdf", ["本文です。"])
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "fake.pdf").write_text("これはPDFではありません", encoding="utf-8")
    (tmp_path / "cut.pdf").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    (tmp_path / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + b"garbage " * 40 + b"\n%%EOF\n")
    writer = PdfWriter(clone_from=str(good))
    writer.encrypt(user_password="secret", owner_password="owner")
    writer.write(tmp_path / "locked.pdf")

    assert_japanese(load_error(load_pdf, tmp_path / "empty.pdf"), "空", "0バイト")
    assert_japanese(load_error(load_pdf, tmp_path / "fake.pdf"), "PDFファイルではありません")
    truncated = load_error(load_pdf, tmp_path / "cut.pdf")
    assert truncated.startswith("truncated PDF")
    assert_japanese(truncated, "途中で切れています")
    assert_japanese(load_error(load_pdf, tmp_path / "corrupt.pdf"), "PDFが壊れて")
    assert_japanese(load_error(load_pdf, tmp_path / "locked.pdf"), "パスワード")
    assert_japanese(load_error(load_file, tmp_path / "missing.pdf"), "ファイルを読めません", "見つかりません")


def test_needs_ocr_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages without text: OCR off, not installed, past the budget, or failing — each with its pages."""
    scanned = make_pdf(tmp_path / "scan.pdf", ["一枚目は文字があります。", "", "", "四枚目も文字があります。", ""])
    monkeypatch.setattr(ocr, "ocr_available", lambda *_, **__: True)  # whatever this machine has installed
    roomy = Budget(max_unpacked_bytes=10**9, ocr_max_pages=100, ocr_max_seconds=600)

    def reason(budget: Budget = roomy) -> str:
        found = load_pdf(scanned, budget=budget).needs_ocr_reason
        assert found is not None
        return found

    monkeypatch.setenv("KOTAE_OCR", "off")
    pages = "文字情報のないページ（2-3、5ページ）があり、"
    assert assert_japanese(reason()) == pages + "OCRが無効（KOTAE_OCR=off）のため読めません"
    monkeypatch.delenv("KOTAE_OCR")
    monkeypatch.setattr(ocr, "ocr_available", lambda *_, **__: False)
    assert assert_japanese(reason()) == pages + "OCR（tesseract）が未導入のため読めません"
    monkeypatch.setattr(ocr, "ocr_available", lambda *_, **__: True)
    assert_japanese(reason(Budget(10**9, 0, 600)),
                    "2-3、5ページはOCRしていません", "0 ページまで", "KOTAE_OCR_MAX_PAGES")
    assert_japanese(reason(Budget(10**9, 100, 0)), "2-3、5ページはOCRしていません", "0 秒まで", "KOTAE_OCR_MAX_SECONDS")

    failures = iter([LoadError("tesseract failed (exit 1): Error opening data file jpn.traineddata")])

    def flaky(path: Path, number: int, **_: Any) -> str:  # page 2 fails; the other pages are past the budget
        raise next(failures)

    monkeypatch.setattr(ocr, "ocr_pdf_page", flaky)
    both = reason(Budget(10**9, 1, 600))
    assert "; " in both  # two parts: the page that failed, the pages past the budget
    assert assert_japanese(both) == ("3、5ページはOCRしていません（1ファイルのOCRは 1 ページまで。"
                                     "KOTAE_OCR_MAX_PAGES で変えられます）。"
                                     "2ページのOCRに失敗しました（tesseract がエラーで終了しました（終了コード 1））")


def test_ocr_program_errors(tmp_path: Path) -> None:
    """What the OCR programs' failures say inside a needs-OCR reason (ingest/loaders/ocr.py)."""
    missing = load_error(ocr._run, [str(tmp_path / "no-such-program")], None, 5, "tesseract")
    assert_japanese(missing, "tesseract を実行できませんでした")
    failing = load_error(ocr._run, [sys.executable, "-c", "import sys; sys.exit(3)"], None, 30, "pdftoppm")
    assert_japanese(failing, "pdftoppm", "終了コード 3")
    slow = load_error(ocr._run, [sys.executable, "-c", "import time; time.sleep(5)"], None, 0.2, "tesseract")
    assert_japanese(slow, "tesseract", "秒で終わりませんでした")


def _word_file(path: Path, text: str = "本市の子育て支援について") -> Path:
    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def test_word_and_zip_package_reasons(tmp_path: Path) -> None:
    word = _word_file(tmp_path / "答弁.docx", "本市の子育て支援について。" * 200)
    big = 10**9
    (tmp_path / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0 an old binary .doc")
    with zipfile.ZipFile(tmp_path / "plain.docx", "w") as package:
        package.writestr("hello.txt", "not word")
    with zipfile.ZipFile(tmp_path / "dtd.docx", "w") as package:
        package.writestr("word/document.xml", '<?xml version="1.0"?><!DOCTYPE bomb [<!ENTITY a "a">]><w/>')

    assert_japanese(load_error(load_docx, tmp_path / "old.docx"), "Word（.docx）の形式ではありません")
    assert_japanese(load_error(load_docx, tmp_path / "plain.docx"), "Wordファイル（.docx）が壊れて")
    assert_japanese(load_error(load_docx, word, limits=ZipLimits(big, max_entries=2)), "部品が多すぎます", "上限 2個")
    bomb = load_error(load_docx, word, limits=ZipLimits(big, max_ratio=1.5, ratio_floor_bytes=0))
    assert bomb.startswith("zip bomb")
    assert_japanese(bomb, "zip爆弾", "上限は 2 倍")
    size = load_error(load_docx, word, limits=ZipLimits(1000))
    assert_japanese(size, "展開後の大きさ", "上限 0.0 MB", "KOTAE_INGEST_MAX_UNPACKED_MB")
    assert_japanese(load_error(load_docx, word, limits=ZipLimits(big, max_xml_depth=2)), "入れ子が深すぎます", "2 段")
    assert_japanese(load_error(load_docx, tmp_path / "dtd.docx"), "word/document.xml", "DTD")
    _word_file(tmp_path / "blank.docx", "")
    assert_japanese(load_error(load_docx, tmp_path / "blank.docx"), "文字が入っていません")


def test_excel_and_csv_reasons(tmp_path: Path) -> None:
    from openpyxl import Workbook

    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old binary .xls")
    (tmp_path / "text.xlsx").write_bytes("一覧表".encode())
    with zipfile.ZipFile(tmp_path / "broken.xlsx", "w") as package:
        package.writestr("xl/workbook.xml", "<workbook>")
    Workbook().save(tmp_path / "empty.xlsx")
    (tmp_path / "huge.csv").write_text("施設名,使用料\n市民会館," + "8" * 200_000 + "\n", encoding="utf-8")
    (tmp_path / "blank.csv").write_text(",,\n,,\n", encoding="utf-8")
    assert_japanese(load_error(load_file, tmp_path / "old.xlsx"), "パスワード", ".xls")
    assert_japanese(load_error(load_file, tmp_path / "text.xlsx"), "Excel（.xlsx）の形式ではありません")
    assert_japanese(load_error(load_file, tmp_path / "broken.xlsx"), "Excelファイルが壊れて")
    assert_japanese(load_error(load_file, tmp_path / "empty.xlsx"), "値の入ったセルがありません")
    assert_japanese(load_error(load_file, tmp_path / "blank.csv"), "値がありません")
    assert_japanese(load_error(load_file, tmp_path / "huge.csv"), "CSVファイルの2行目")  # a field over csv's limit


def test_text_file_reasons(tmp_path: Path) -> None:
    (tmp_path / "binary.txt").write_bytes(b"abc\x00def")
    (tmp_path / "garbled.txt").write_bytes(bytes(range(0x80, 0x100)) * 4)
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + "本文".encode() + b"\xff\xfe")
    (tmp_path / "blank.txt").write_text(" \n\u3000\n", encoding="utf-8")
    assert_japanese(load_error(load_text, tmp_path / "binary.txt"), "テキストファイルではありません")
    assert_japanese(load_error(load_text, tmp_path / "garbled.txt"), "文字コードを判別できません")
    bom = load_error(load_text, tmp_path / "bom.txt")
    at_byte = re.search(r"at byte (\d+)", bom)
    assert at_byte is not None, bom
    assert_japanese(bom, "BOM", f"{at_byte[1]}バイト目")
    assert_japanese(load_error(load_text, tmp_path / "blank.txt"), "文字が入っていません")


def test_unexpected_error_names_its_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A loader's bug on one file (ingest/prepare.py): the kind of error, not its English message."""
    import ingest.prepare

    def broken(*_: Any) -> Any:
        raise KeyError("/Root")

    monkeypatch.setattr(ingest.prepare, "build_document", broken)
    document = tmp_path / "お知らせ.txt"
    document.write_text(NOTICE, encoding="utf-8")
    outcome = prepare(Job(document, "お知らせ.txt", "hash", "version", Overrides(), 400, 800, "C"))
    assert isinstance(outcome, Failed) and outcome.reason.startswith("unexpected error while reading (KeyError)")
    assert assert_japanese(outcome.reason) == "読み込み中に予期しないエラーが発生しました（KeyError）"


# --- through the pipeline: what a real run records -------------------------------------------------------------


def failing_folder(root: Path) -> Path:
    """A folder with a readable notice and files that fail in the ways a run meets (no unsupported kinds)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "お知らせ.txt").write_text(NOTICE, encoding="utf-8")
    (root / "壊れた資料.pdf").write_bytes(b"%PDF-1.4 not really")
    (root / "空のメモ.txt").write_bytes(b"")
    make_pdf(root / "スキャン.pdf", ["", ""])
    make_pdf(root / "ページ番号だけ.pdf", ["- 1 -", "- 2 -"])
    (root / "福祉").mkdir(exist_ok=True)
    (root / "福祉" / "_meta.json").write_text("{\"kind\": \"manual\"}", encoding="utf-8")
    (root / "福祉" / "保育のしおり.txt").write_text("保育所の入所申込みは毎月十日までです。\n", encoding="utf-8")
    return root


def test_every_reason_a_run_records_has_a_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOTAE_OCR", "off")  # the worker process reads it too
    docs = failing_folder(tmp_path / "docs")
    settings = load_settings(tmp_path / "store")
    summary = run_ingest([docs], settings)
    failed = {f["source"]: f["reason"] for f in summary.failed}
    assert set(failed) == {"壊れた資料.pdf", "空のメモ.txt", "スキャン.pdf", "ページ番号だけ.pdf",
                           "福祉/保育のしおり.txt"}
    assert_japanese(failed["壊れた資料.pdf"], "PDF")
    assert_japanese(failed["空のメモ.txt"], "文字が入っていません")
    assert japanese_reason(failed["スキャン.pdf"]) == (
        "文字情報のないページ（1-2ページ）があり、OCRが無効（KOTAE_OCR=off）のため読めません")
    assert japanese_reason(failed["ページ番号だけ.pdf"]) == "文書から文字を取り出せませんでした"
    assert_japanese(failed["福祉/保育のしおり.txt"], "メタデータファイル（福祉/_meta.json）", "kind")

    # The same path from another folder, in a later run.
    other = tmp_path / "other"
    other.mkdir()
    (other / "お知らせ.txt").write_text("図書館は月曜日が休館日です。\n", encoding="utf-8")
    again = run_ingest([other], settings)
    reason = next(f["reason"] for f in again.failed if f["source"] == "お知らせ.txt")
    assert_japanese(reason, "別のフォルダ", str(docs))


# --- GET /api/documents -------------------------------------------------------------------------------------------


def test_documents_api_gives_the_reason_in_japanese_beside_the_english(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "お知らせ.txt").write_text(NOTICE, encoding="utf-8")
    (docs / "壊れた資料.pdf").write_bytes(b"%PDF-1.4 not really")
    (docs / "福祉").mkdir()
    (docs / "福祉" / "_meta.json").write_text("{\"title\": \"\"}", encoding="utf-8")
    (docs / "福祉" / "しおり.txt").write_text("保育所の入所申込みは毎月十日までです。\n", encoding="utf-8")
    settings = load_settings(tmp_path / "store")
    run_ingest([docs], settings)
    with TestClient(create_app(settings)) as client:
        listed = {d["source"]: d for d in client.get("/api/documents").json()["documents"]}

    notice = listed["お知らせ.txt"]
    assert notice["status"] == "indexed" and notice["reason"] is None and notice["reason_ja"] is None
    assert "municipality" in notice  # null until documents carry one
    broken = listed["壊れた資料.pdf"]
    assert broken["status"] == "failed" and broken["reason"].startswith("truncated PDF")  # the English stays
    assert broken["reason_ja"] == japanese_reason(broken["reason"]) == (
        "PDFが途中で切れています（コピーや保存が途中で終わった可能性があります）")
    meta = listed["福祉/しおり.txt"]
    assert meta["status"] == "failed" and "invalid metadata file 福祉/_meta.json" in meta["reason"]
    assert meta["reason_ja"] == (
        "メタデータファイル（福祉/_meta.json）の内容に誤りがあります：項目「title」は空でない文字列にしてください")


# --- the admin page in a browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kotae serve` over a copy of the corpus plus two files that fail; yields its base URL."""
    require_chromium()

    def two_that_fail(docs: Path) -> None:
        (docs / "壊れた資料.pdf").write_bytes(b"%PDF-1.4 not really")
        (docs / "福祉").mkdir()
        (docs / "福祉" / "_meta.json").write_text("{\"kind\": \"manual\"}", encoding="utf-8")
        (docs / "福祉" / "保育のしおり.txt").write_text("保育所の入所申込みは毎月十日までです。\n", encoding="utf-8")

    with serving_corpus(tmp_path_factory.mktemp("admin-docs"), two_that_fail) as base:
        yield base


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def listed(server: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(server + "/api/documents", timeout=30) as response:
        documents: list[dict[str, Any]] = json.loads(response.read().decode("utf-8"))["documents"]
    return documents


def visible_sources(page: Any) -> list[str]:
    return [s.strip() for s in page.locator("#documents-body tr:visible .source-path").all_inner_texts()]


def shown(page: Any, total: int, count: int) -> None:
    """Wait for 「N件中 M件を表示」."""
    page.wait_for_function("t => document.getElementById('docs-count').textContent === t",
                           arg=f"{total}件中 {count}件を表示")


@pytest.mark.slow
def test_find_and_filter_the_document_list(page: Any, server: str) -> None:
    documents = listed(server)
    total = len(documents)
    page.goto(server + "/admin")
    shown(page, total, total)
    assert len(visible_sources(page)) == total
    places = sorted({d["municipality"] for d in documents if d.get("municipality")})
    assert page.locator("#docs-municipality-field").is_visible() == bool(places)  # hidden when none names one

    # 種類: the kinds of the list in Japanese, a legacy kind under the label of the kind it became.
    kinds = page.locator("#docs-type option").all_inner_texts()
    assert kinds[0] == "すべて" and "会議録" in kinds and "手引き・要領" in kinds
    assert not any(re.fullmatch(r"[a-z_]+", k) for k in kinds), kinds

    # Find by source, typed full-width and in capitals: NFKC and case folded.
    page.fill("#docs-find", "ＧＵＩＤＥＬＩＮＥＳ／")
    expected = sorted(d["source"] for d in documents if "guidelines/" in d["source"])
    assert len(expected) == 2
    shown(page, total, 2)
    assert sorted(visible_sources(page)) == expected

    # Find by title, in half-width katakana, and pick a kind.
    page.fill("#docs-find", "ｶﾞｲﾄﾞﾗｲﾝ")
    page.select_option("#docs-type", label="手引き・要領")
    shown(page, total, 1)
    assert visible_sources(page) == ["guidelines/生成AI利用ガイドライン.md"]
    page.select_option("#docs-type", label="会議録")
    shown(page, total, 0)
    assert page.locator("#docs-none").is_visible()
    assert "条件に当てはまる資料はありません" in page.inner_text("#docs-none")

    # 状態: the failed files, each with its reason in Japanese and the English under 「原文（英語）」.
    page.fill("#docs-find", "")
    page.select_option("#docs-type", label="すべて")
    page.select_option("#docs-status", label="失敗")
    failed = [d for d in documents if d["status"] == "failed"]
    assert sorted(d["source"] for d in failed) == ["壊れた資料.pdf", "福祉/保育のしおり.txt"]
    shown(page, total, 2)
    row = page.locator("#documents-body tr", has_text="壊れた資料.pdf")
    broken = next(d for d in failed if d["source"] == "壊れた資料.pdf")
    assert f"理由：{broken['reason_ja']}" in row.inner_text()
    assert row.locator(".state-reason[title]").first.get_attribute("title") == broken["reason"]
    row.locator("summary", has_text="原文（英語）").click()
    assert broken["reason"] in row.locator(".reason-original .full-text").inner_text()

    # The filters stay as they are while a job runs and the list reloads after it.
    page.select_option("#docs-status", label="すべて")
    page.fill("#docs-find", "guidelines")
    shown(page, total, 2)
    page.click("#run-ingest")
    page.wait_for_selector("#job-summary h3", timeout=120_000)
    assert f"理由：{broken['reason_ja']}" in page.inner_text("#job-summary")  # the run's failures, in Japanese too
    shown(page, total, 2)
    assert page.input_value("#docs-find") == "guidelines"
    assert sorted(visible_sources(page)) == expected

    page.click("#docs-clear")
    shown(page, total, total)
    assert page.input_value("#docs-find") == "" and page.locator("#docs-clear").is_disabled()


@pytest.mark.slow
def test_municipality_filter_appears_when_documents_name_one(page: Any, server: str) -> None:
    """自治体 lists the municipalities of the list and filters by one; it is hidden when no document names one
    (the server's real answer, with the municipalities replaced)."""
    places: dict[str, str] = {}

    def with_municipalities(route: Any) -> None:
        body = route.fetch().json()
        for d in body["documents"]:
            d["municipality"] = places.get(d["source"])
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/documents", with_municipalities)
    total = len(listed(server))
    page.goto(server + "/admin")
    shown(page, total, total)
    assert page.locator("#docs-municipality-field").is_hidden()

    places.update({"minutes/令和6年第3回定例会会議録.txt": "みずほ野市", "faq/窓口対応FAQ.html": "みずほ野市",
                   "plans/DX推進計画.pdf": "東京都"})
    page.reload()
    shown(page, total, total)
    assert page.locator("#docs-municipality-field").is_visible()
    options = page.locator("#docs-municipality option").all_inner_texts()
    assert options[0] == "すべて" and sorted(options[1:]) == ["みずほ野市", "東京都"]
    page.select_option("#docs-municipality", "みずほ野市")
    shown(page, total, 2)
    assert sorted(visible_sources(page)) == ["faq/窓口対応FAQ.html", "minutes/令和6年第3回定例会会議録.txt"]
    page.select_option("#docs-municipality", "東京都")
    shown(page, total, 1)
    assert visible_sources(page) == ["plans/DX推進計画.pdf"]
