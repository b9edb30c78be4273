"""The text of a table, defined once for workbook sheets and CSV files.

A table reads as one line per non-empty row, its cells joined by a tab (`kotae.formats.ROW_JOINER`), from the
row's first non-empty cell to its last: leading and trailing empty cells are dropped, empty cells between values
stay (as empty strings between tabs) so that the values keep their columns. A cell's own line breaks (Alt+Enter
in Excel, quoted newlines in a CSV) and tabs read as one space, so a row is always one line. A sheet's table
starts with a line naming it (`kotae.formats.SHEET_MARK` + the sheet's name); tables are separated by a blank
line::

    【シート】手数料
    区分<TAB>手数料<TAB>備考
    住民票の写し（コンビニ交付）<TAB>200円

Each row is a `TableRow` whose span is its line and whose `cells` are the A1 range of its first..last
non-empty cell (「B3:D3」, 「B3」 for one cell); a table's `header` is its first row of two cells or more (a
title in A1 above the column names is not), else its first row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from kotae.formats import ROW_JOINER, SHEET_MARK
from kotae.types import Table, TableRow

_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]")  # whatever str.splitlines breaks at, and tabs


def cell_text(value: str) -> str:
    """A cell's text on one line: its line breaks and tabs as single spaces, outer blanks stripped."""
    return _BREAKS.sub(" ", value).strip()


def cell_range(row: int, first_column: int, last_column: int) -> str:
    """The A1 range of columns `first_column`..`last_column` (1-based) of `row`: 「B3:D3」, or 「B3」."""
    first = f"{get_column_letter(first_column)}{row}"
    return first if first_column == last_column else f"{first}:{get_column_letter(last_column)}{row}"


@dataclass(frozen=True)
class RowLine:
    """One non-empty row as it reads: its line and the A1 range of the cells the line holds."""

    line: str
    cells: str


def row_line(row: int, cells: Sequence[str]) -> RowLine | None:
    """Row `row` (1-based) of `cells` (column A first, each already one line) as a line; None when empty."""
    filled = [i for i, cell in enumerate(cells) if cell]
    if not filled:
        return None
    first, last = filled[0], filled[-1]
    return RowLine(ROW_JOINER.join(cells[first : last + 1]), cell_range(row, first + 1, last + 1))


def _header_row(lines: Sequence[RowLine]) -> int:
    """Which row is the header: the first as wide as two cells when any row is (a title 「…手数料一覧」 in A1
    above the column names is no header), else the first."""
    widths = [line.line.count(ROW_JOINER) + 1 for line in lines]
    if max(widths) < 2:
        return 0
    return next(i for i, width in enumerate(widths) if width >= 2)


class TableText:
    """A text built table by table: its lines so far (joined by newlines) and the tables laid out in it."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._length = 0  # len("\n".join(self._lines))
        self.tables: list[Table] = []

    @property
    def text(self) -> str:
        """The text so far."""
        return "\n".join(self._lines)

    def add_table(self, rows: Iterable[tuple[int, Sequence[str]]], *, sheet: str | None = None) -> Table | None:
        """Append the table of `rows` ((row number, cells) pairs, the cells one line each), after a blank line
        when text comes before it and under a `SHEET_MARK` line when it is a `sheet`. Returns the table, or None
        (and adds nothing) when no row holds a value."""
        lines = [found for number, cells in rows if (found := row_line(number, cells)) is not None]
        if not lines:
            return None
        if self._lines:
            self._add("")
        start = self._add(f"{SHEET_MARK}{cell_text(sheet)}")[0] if sheet is not None else None
        table_rows: list[TableRow] = []
        for found in lines:
            s, e = self._add(found.line)
            table_rows.append(TableRow(s, e, found.cells))
        header = table_rows[_header_row(lines)]
        table = Table(start=header.start if start is None else start, end=table_rows[-1].end, rows=tuple(table_rows),
                      header=(header.start, header.end), sheet=sheet)
        self.tables.append(table)
        return table

    def _add(self, line: str) -> tuple[int, int]:
        """Append one line; its span in the text."""
        start = self._length + 1 if self._lines else 0
        self._lines.append(line)
        self._length = start + len(line)
        return start, self._length
