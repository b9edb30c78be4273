"""Excel .xlsx and .xlsm: each non-empty sheet one table, one line per row (the format is `tables.py`'s).

openpyxl reads the workbook streaming (read-only) and takes the values Excel last calculated, never the
formulas; macros of an .xlsm are never run (openpyxl cannot run them, and they are not even loaded). A formula
Excel never calculated (a file written by a script, with no cached value) reads as an empty cell: its formula
text is not a value a person sees.

Values read as Excel shows them where that is easy: whole numbers without 「.0」, other numbers to 15
significant digits (what Excel displays), percentages as formatted (「12.5%」 for 0.125 in 0.0%), dates as
yyyy-mm-dd (with hh:mm when there is a time of day), TRUE / FALSE, error values (#DIV/0!) as they are. Thousands
separators and other number formats are not applied (200000, not 200,000).

Hidden sheets are read: anyone can unhide them in Excel, so they are part of the file as shared. "Very hidden"
sheets, which only a macro can show, are skipped as the workbook's machinery.

The package is checked against the zip limits of `zipcheck.py` before openpyxl opens it, like a Word file.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from kotae.errors import LoadError
from kotae.types import Extracted

from .budget import current_budget
from .tables import TableText, cell_text
from .zipcheck import ZipLimits, check_zip

TITLE_MAX = 120
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an encrypted workbook, or an old .xls
_PERCENT = re.compile(r"^0(?:\.(0+))?%$")  # Excel's percent formats: 0%, 0.0%, 0.00%


def load_xlsx(path: Path, *, limits: ZipLimits | None = None) -> Extracted:
    """Load an .xlsx/.xlsm: one table per non-empty sheet; the title is the workbook's title property, if any.

    Raises `LoadError` for a file that is not a readable workbook (not a zip, encrypted, damaged), holds no
    value, or is over `limits` (default: KOTAE_INGEST_MAX_UNPACKED_MB and the fixed limits of `zipcheck.py`).
    """
    with warnings.catch_warnings():
        # openpyxl warns of every part it drops (data validation, slicers, unknown extensions): not the values.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return _load(path, limits or ZipLimits(current_budget().max_unpacked_bytes))


def _load(path: Path, limits: ZipLimits) -> Extracted:
    """`load_xlsx` within its warning filter."""
    workbook = _open(path, limits)
    try:
        text = TableText()
        for sheet in workbook.worksheets:
            if sheet.sheet_state == "veryHidden":
                continue
            sheet.reset_dimensions()  # the dimension a file declares can be wrong: read every row there is
            text.add_table(_rows(sheet), sheet=sheet.title)
        title = cell_text(workbook.properties.title or "")
    except LoadError:
        raise
    except Exception as exc:  # a sheet's XML is only parsed as it is read
        raise LoadError(_unreadable(exc)) from exc
    finally:
        workbook.close()
    if not text.tables:
        raise LoadError("empty workbook (no cell values)")
    return Extracted(text=text.text, title=title[:TITLE_MAX] or None, tables=tuple(text.tables))


def _open(path: Path, limits: ZipLimits) -> Any:
    """The workbook at `path`, opened read-only for its cached values, once its package passed `limits`."""
    try:
        check_zip(path, limits)
        # keep_links=False: the cached values of links to other workbooks are not needed either.
        return openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (LoadError, OSError):
        raise
    except zipfile.BadZipFile as exc:
        raise LoadError(_not_a_zip(path)) from exc
    except Exception as exc:  # openpyxl raises KeyError, InvalidFileException, lxml and ValueError variously
        raise LoadError(_unreadable(exc)) from exc


def _not_a_zip(path: Path) -> str:
    """Why a file that is not a zip package is no workbook, from its first bytes."""
    with path.open("rb") as stream:
        head = stream.read(len(_OLE_MAGIC))
    if head == _OLE_MAGIC:
        return "not a readable Excel workbook: password-protected (encrypted), or an old .xls file renamed"
    return "not a readable Excel workbook: not a zip package"


def _unreadable(exc: Exception) -> str:
    """The one-line reason for what openpyxl or the XML parser raised."""
    return f"not a readable Excel workbook: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


def _rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts from column A) for each row of `sheet` that has a cell with a value."""
    for cells in sheet.iter_rows():
        texts = [_value_text(cell) for cell in cells]
        # Empty cells carry no coordinates: the row is the first filled cell's (the texts start at column A).
        number = next((cell.row for cell, text in zip(cells, texts, strict=True) if text), None)
        if number is not None:
            yield number, texts


def _value_text(cell: Any) -> str:
    """A cell's value as Excel shows it, on one line; "" for an empty cell."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value, cell.number_format)
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    return cell_text(str(value))


def _number_text(value: float, number_format: str | None) -> str:
    """A number as Excel shows it: 200 (not 200.0), 15 significant digits, a percent format applied."""
    percent = _PERCENT.match(number_format or "")
    if percent:
        return f"{value * 100:.{len(percent.group(1) or '')}f}%"
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".15g")
