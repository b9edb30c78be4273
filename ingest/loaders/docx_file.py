"""Word .docx: paragraphs and table cells in document order, one per line, heading styles as spans.

Each table of the body is also an `Extracted.tables` entry, so that chunks keep its rows whole: a row's span
runs from its first cell's first line to its last cell's last line, the header is the first row with text, and
there are no cell ranges or sheet. A table nested in a cell is read in place, inside the row that holds it.

A heading is a paragraph whose style is a heading style: "Heading 1".."Heading 9" (English Word, and the
names python-docx reports for built-in styles) or 見出し 1.. (Japanese Word's own names), or "Title".

The package is checked against the unpacked-size, compression-ratio and XML-depth limits (`zipcheck.py`)
before python-docx opens it: python-docx reads every part into memory and was seen to run for minutes at
1.4 GB on a 509 KB file holding 150 MB of XML.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table as WordTable
from docx.table import _Row
from docx.text.paragraph import Paragraph

from kotae.errors import LoadError
from kotae.types import Extracted, Table, TableRow

from .budget import current_budget
from .zipcheck import ZipLimits, check_zip

TITLE_MAX = 120
_HEADING_STYLES = ("heading", "見出し", "title", "表題")


def load_docx(path: Path, *, limits: ZipLimits | None = None) -> Extracted:
    """Load a .docx: text one line per paragraph or cell, heading spans, and a title.

    The title is the document's core-properties title, else the first heading, else the first line.
    Raises `LoadError` for a file that is not a Word document (not a zip, no document part), is empty, or is
    over `limits` (default: KOTAE_INGEST_MAX_UNPACKED_MB and the fixed limits of `zipcheck.py`).
    """
    try:
        check_zip(path, limits or ZipLimits(current_budget().max_unpacked_bytes))
        document = docx.Document(str(path))
    except (LoadError, OSError):
        raise
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        # The path is the caller's to report; an old binary .doc renamed .docx also lands here.
        raise LoadError("not a Word .docx file (not a valid zip package)") from exc
    except KeyError as exc:  # a zip without the parts Word needs, e.g. a plain zip renamed .docx
        raise LoadError(f"corrupt .docx: {exc.args[0] if exc.args else 'missing part'}") from exc
    except Exception as exc:  # python-docx/lxml raise various errors on damaged XML
        raise LoadError(f"corrupt .docx: {type(exc).__name__}: {exc}") from exc

    text = _Lines()
    tables: list[Table] = []
    is_heading = _heading_test()
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text.extend(_paragraph(item, is_heading))
        elif isinstance(item, WordTable) and (table := _body_table(item, is_heading, text)) is not None:
            tables.append(table)
    if not text.lines:
        raise LoadError("empty document (no text)")
    full = "\n".join(text.lines)
    lines, headings = text.lines, text.headings

    title = (document.core_properties.title or "").strip()
    if not title:
        title = full[headings[0][0] : headings[0][1]] if headings else lines[0]
    return Extracted(text=full, title=" ".join(title.split())[:TITLE_MAX], headings=tuple(headings),
                     tables=tuple(tables))


HeadingTest = Callable[[Paragraph], bool]


def _heading_test() -> HeadingTest:
    """Whether a paragraph has a heading style, remembered per style id for one document.

    python-docx resolves a paragraph without its own style by scanning every style of the document for the
    default one, ~3 ms a paragraph: 90% of the time of a 6,000-paragraph file (40 s), and hours for a large one.
    """
    known: dict[str | None, bool] = {}

    def is_heading(paragraph: Paragraph) -> bool:
        style_id = paragraph._p.style  # the paragraph's w:pStyle, None for the document's default style
        if style_id not in known:
            style = paragraph.style
            known[style_id] = (style.name or "").strip().lower().startswith(_HEADING_STYLES) if style else False
        return known[style_id]

    return is_heading


class _Lines:
    """The text being built: its non-empty lines (stripped), the heading spans among them, and where the next
    line starts (`pos`)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.headings: list[tuple[int, int]] = []
        self.pos = 0

    def extend(self, blocks: Iterable[tuple[str, bool]]) -> None:
        """Add each (text, is_heading) line that is not blank."""
        for text, heading in blocks:
            text = text.strip()
            if not text:
                continue
            if heading:
                self.headings.append((self.pos, self.pos + len(text)))
            self.lines.append(text)
            self.pos += len(text) + 1


def _body_table(table: WordTable, is_heading: HeadingTest, text: _Lines) -> Table | None:
    """Add a body table's lines to `text`; the table with its rows' spans, or None when it holds no text."""
    seen: dict[int, object] = {}
    rows: list[TableRow] = []
    for row in table.rows:
        start, count = text.pos, len(text.lines)
        text.extend(_row(row, is_heading, seen))
        if len(text.lines) > count:
            rows.append(TableRow(start, text.pos - 1))
    if not rows:
        return None
    return Table(start=rows[0].start, end=rows[-1].end, rows=tuple(rows), header=(rows[0].start, rows[0].end))


def _paragraph(paragraph: Paragraph, is_heading: HeadingTest) -> Iterator[tuple[str, bool]]:
    heading = is_heading(paragraph)
    # A paragraph with soft line breaks (Shift+Enter) reads as several lines.
    for line in paragraph.text.split("\n"):
        yield line, heading


def _table(table: WordTable, is_heading: HeadingTest) -> Iterator[tuple[str, bool]]:
    """Cells row by row; a merged cell is reported once, nested tables in place."""
    seen: dict[int, object] = {}
    for row in table.rows:
        yield from _row(row, is_heading, seen)


def _row(row: _Row, is_heading: HeadingTest, seen: dict[int, object]) -> Iterator[tuple[str, bool]]:
    """The lines of a row's cells, but for those of a cell in `seen` (one table's cells reported so far)."""
    # python-docx returns a merged cell once per grid column it spans, with the same XML element each
    # time. The dict holds the elements so that their ids stay unique while we compare them.
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue
        seen[id(cell._tc)] = cell._tc
        for item in cell.iter_inner_content():
            if isinstance(item, Paragraph):
                yield from _paragraph(item, is_heading)
            else:
                yield from _table(item, is_heading)
