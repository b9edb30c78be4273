"""Excel, CSV and Word tables as `Table`s: real files built in tmp_path (openpyxl writes the workbooks, the CSV
files are written in Shift_JIS and UTF-8 with BOM, python-docx writes the Word file)."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest

from ingest.loaders import load_file
from ingest.loaders.csv_file import load_csv, sniff_delimiter
from ingest.loaders.docx_file import load_docx
from ingest.loaders.tables import cell_text
from ingest.loaders.xlsx_file import load_xlsx
from ingest.loaders.zipcheck import ZipLimits
from ingest.structure import segments_for
from kotae.errors import LoadError
from kotae.formats import ROW_JOINER, SHEET_MARK
from kotae.types import Extracted, Table

T = ROW_JOINER


def _workbook(path: Path, *, title: str | None = None) -> Path:
    """Three sheets: 手数料 (a header row and fees), 統計 (numbers, a date, a percentage and a formula, from
    column B), 備考 (one cell); an empty sheet and a very hidden one."""
    book = openpyxl.Workbook()
    fees = book.active
    assert fees is not None
    fees.title = "手数料"
    fees.append(["区分", "手数料", "備考"])
    fees.append(["住民票の写し（コンビニ交付）", "200円"])
    fees.append(["印鑑登録証明書", 300, "窓口\n交付"])  # a line break inside a cell (Alt+Enter)
    stats = book.create_sheet("統計")
    stats["B2"], stats["C2"], stats["D2"] = "年度", "人口", "割合"
    stats["B3"], stats["C3"], stats["D3"] = datetime(2024, 4, 1), 45678, 0.125
    stats["D3"].number_format = "0.0%"
    stats["B4"], stats["C4"], stats["D4"] = "平均", 12.50, "=C3*2"  # openpyxl writes no cached value
    notes = book.create_sheet("備考")
    notes["A1"] = "出典：市民課"
    book.create_sheet("空のシート")
    machinery = book.create_sheet("内部")
    machinery["A1"] = "マクロ用の値"
    machinery.sheet_state = "veryHidden"
    book.properties.title = title
    book.save(path)
    return path


def _row_texts(ex: Extracted, table: Table) -> list[str]:
    return [ex.text[row.start : row.end] for row in table.rows]


# -------------------------------------------------------------------------------------------------- xlsx


def test_xlsx_sheets_are_tables(tmp_path: Path) -> None:
    ex = load_file(_workbook(tmp_path / "手数料一覧.xlsx"))
    assert ex.text.split("\n") == [
        f"{SHEET_MARK}手数料",
        f"区分{T}手数料{T}備考",
        f"住民票の写し（コンビニ交付）{T}200円",
        f"印鑑登録証明書{T}300{T}窓口 交付",
        "",
        f"{SHEET_MARK}統計",
        f"年度{T}人口{T}割合",
        f"2024-04-01{T}45678{T}12.5%",
        f"平均{T}12.5",  # the formula without a cached value reads as an empty cell, dropped at the row's end
        "",
        f"{SHEET_MARK}備考",
        "出典：市民課",
    ]
    assert [t.sheet for t in ex.tables] == ["手数料", "統計", "備考"]  # no empty or very hidden sheet
    assert "マクロ用の値" not in ex.text and "=C3" not in ex.text
    assert ex.title is None
    fees, stats, notes = ex.tables
    assert ex.text[fees.start : fees.end].split("\n")[0] == f"{SHEET_MARK}手数料"  # a table starts with its sheet
    assert ex.text[fees.end - 5 : fees.end] == "窓口 交付"
    assert _row_texts(ex, fees) == ex.text.split("\n")[1:4]
    assert [r.cells for r in fees.rows] == ["A1:C1", "A2:B2", "A3:C3"]
    assert [r.cells for r in stats.rows] == ["B2:D2", "B3:D3", "B4:C4"]
    assert [r.cells for r in notes.rows] == ["A1"]
    assert fees.header is not None and ex.text[fees.header[0] : fees.header[1]] == f"区分{T}手数料{T}備考"
    assert stats.header is not None and ex.text[stats.header[0] : stats.header[1]] == f"年度{T}人口{T}割合"
    assert ex.headings == () and ex.pages == ()


def test_xlsx_title_property_and_xlsm(tmp_path: Path) -> None:
    assert load_xlsx(_workbook(tmp_path / "a.xlsx", title=" 令和６年度　手数料一覧 ")).title == "令和６年度　手数料一覧"
    ex = load_file(_workbook(tmp_path / "macro.xlsm"))
    assert [t.sheet for t in ex.tables] == ["手数料", "統計", "備考"]


def test_xlsx_tables_become_segments(tmp_path: Path) -> None:
    ex = load_xlsx(_workbook(tmp_path / "a.xlsx"))
    segments = segments_for(ex, [])
    assert [s.sheet for s in segments if s.table is not None] == ["手数料", "統計", "備考"]


def test_xlsx_numbers_read_as_shown(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([1.0, 0.1 + 0.2, 1234.5, True, -3, 0.07])
    sheet["F1"].number_format = "0%"
    path = tmp_path / "n.xlsx"
    book.save(path)
    assert load_xlsx(path).text.split("\n")[1] == T.join(["1", "0.3", "1234.5", "TRUE", "-3", "7%"])


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (bytes(range(256)) * 8, "not a readable Excel workbook: not a zip package"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected (encrypted), or an old .xls"),
    ],
)
def test_xlsx_not_a_workbook(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=re.escape(reason)):
        load_file(path)


def test_xlsx_zip_without_workbook_and_truncated(tmp_path: Path) -> None:
    plain = tmp_path / "plain.xlsx"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(LoadError, match="not a readable Excel workbook"):
        load_xlsx(plain)
    data = _workbook(tmp_path / "whole.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match="not a readable Excel workbook"):
        load_xlsx(cut)


def test_xlsx_empty_and_over_budget(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(LoadError, match="empty workbook"):
        load_xlsx(empty)
    with pytest.raises(LoadError, match="KOTAE_INGEST_MAX_UNPACKED_MB"):
        load_xlsx(_workbook(tmp_path / "a.xlsx"), limits=ZipLimits(max_unpacked_bytes=1_000))


# --------------------------------------------------------------------------------------------------- CSV


def test_csv_shift_jis(tmp_path: Path) -> None:
    path = tmp_path / "手数料.csv"
    path.write_text('区分,手数料,備考\r\n住民票の写し（コンビニ交付）,200円,\r\n\r\n,髙橋①,"窓口\r\n交付"\r\n',
                    encoding="cp932")
    ex = load_file(path)
    assert ex.text.split("\n") == [
        f"区分{T}手数料{T}備考",
        f"住民票の写し（コンビニ交付）{T}200円",  # the empty last field is dropped
        f"髙橋①{T}窓口 交付",  # a CP932 character and a quoted field's line break
    ]
    (table,) = ex.tables
    assert table.sheet is None and (table.start, table.end) == (0, len(ex.text))
    assert _row_texts(ex, table) == ex.text.split("\n")
    assert [r.cells for r in table.rows] == ["A1:C1", "A2:B2", "B4:C4"]  # the blank line is row 3
    assert table.header == (0, len(f"区分{T}手数料{T}備考"))
    assert ex.title is None


def test_csv_utf8_bom_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    path.write_bytes("年度\t人口\n2024\t45,678\n".encode("utf-8-sig"))
    ex = load_csv(path)
    assert ex.text == f"年度{T}人口\n2024{T}45,678"  # the comma is a value's, not a delimiter
    assert [r.cells for r in ex.tables[0].rows] == ["A1:B1", "A2:B2"]


def test_csv_delimiters() -> None:
    assert sniff_delimiter("a;b;c\n1;2;3\n") == ";"
    assert sniff_delimiter("a,b\n1,2\n") == ","
    assert sniff_delimiter("ひとつ\nだけ\n") == ","


@pytest.mark.parametrize(("content", "reason"), [(b"", "empty file"), (b",,\n, ,\n", "empty file (no values)"),
                                                  (b"a,b\x00c\n", "binary content")])
def test_csv_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=re.escape(reason)):
        load_csv(path)


def test_cell_text_is_one_line() -> None:
    assert cell_text("  窓口\r\n交付\tあり\u2028 ") == "窓口 交付 あり"


# -------------------------------------------------------------------------------------------------- Word


def test_docx_table_rows(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("手数料の一覧です。")
    table = document.add_table(rows=4, cols=2)
    for row, (kind, fee) in enumerate([("区分", "手数料"), ("住民票の写し", "300円"), ("", ""), ("印鑑登録", "")]):
        table.cell(row, 0).text, table.cell(row, 1).text = kind, fee
    document.add_paragraph("以上")
    document.add_table(rows=1, cols=1)  # no text: no table
    path = tmp_path / "fees.docx"
    document.save(str(path))
    ex = load_docx(path)
    # The text is as before tables were found: a line a cell.
    assert ex.text == "手数料の一覧です。\n区分\n手数料\n住民票の写し\n300円\n印鑑登録\n以上"
    (found,) = ex.tables
    assert _row_texts(ex, found) == ["区分\n手数料", "住民票の写し\n300円", "印鑑登録"]
    assert found.header is not None and ex.text[found.header[0] : found.header[1]] == "区分\n手数料"
    assert ex.text[found.start : found.end] == "区分\n手数料\n住民票の写し\n300円\n印鑑登録"
    assert all(r.cells is None for r in found.rows) and found.sheet is None


def test_docx_without_tables_has_none(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("本文だけ")
    path = tmp_path / "plain.docx"
    document.save(str(path))
    assert load_docx(path).tables == ()
