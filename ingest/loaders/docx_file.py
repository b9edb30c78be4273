"""Word .docx: paragraphs and table cells in document order, one per line, heading styles as spans.

A heading is a paragraph whose style is a heading style: "Heading 1".."Heading 9" (English Word, and the
names python-docx reports for built-in styles) or 見出し 1.. (Japanese Word's own names), or "Title".
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from kotae.errors import LoadError
from kotae.types import Extracted

TITLE_MAX = 120
_HEADING_STYLES = ("heading", "見出し", "title", "表題")


def load_docx(path: Path) -> Extracted:
    """Load a .docx: text one line per paragraph or cell, heading spans, and a title.

    The title is the document's core-properties title, else the first heading, else the first line.
    Raises `LoadError` for a file that is not a Word document (not a zip, no document part) or is empty.
    """
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        # The path is the caller's to report; an old binary .doc renamed .docx also lands here.
        raise LoadError("not a Word .docx file (not a valid zip package)") from exc
    except KeyError as exc:  # a zip without the parts Word needs, e.g. a plain zip renamed .docx
        raise LoadError(f"corrupt .docx: {exc.args[0] if exc.args else 'missing part'}") from exc
    except Exception as exc:  # python-docx/lxml raise various errors on damaged XML
        raise LoadError(f"corrupt .docx: {type(exc).__name__}: {exc}") from exc

    lines: list[str] = []
    headings: list[tuple[int, int]] = []
    pos = 0
    for text, heading in _blocks(document):
        text = text.strip()
        if not text:
            continue
        if heading:
            headings.append((pos, pos + len(text)))
        lines.append(text)
        pos += len(text) + 1
    if not lines:
        raise LoadError("empty document (no text)")
    full = "\n".join(lines)

    title = (document.core_properties.title or "").strip()
    if not title:
        title = full[headings[0][0] : headings[0][1]] if headings else lines[0]
    return Extracted(text=full, title=" ".join(title.split())[:TITLE_MAX], headings=tuple(headings))


def _blocks(document: DocxDocument) -> Iterator[tuple[str, bool]]:
    """(text, is_heading) for each body paragraph, and each table cell, in document order."""
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            yield from _paragraph(item)
        elif isinstance(item, Table):
            yield from _table(item)


def _paragraph(paragraph: Paragraph) -> Iterator[tuple[str, bool]]:
    style = paragraph.style.name if paragraph.style is not None else ""
    is_heading = (style or "").strip().lower().startswith(_HEADING_STYLES)
    # A paragraph with soft line breaks (Shift+Enter) reads as several lines.
    for line in paragraph.text.split("\n"):
        yield line, is_heading


def _table(table: Table) -> Iterator[tuple[str, bool]]:
    """Cells row by row; a merged cell is reported once, nested tables in place."""
    # python-docx returns a merged cell once per grid column it spans, with the same XML element each
    # time. The dict holds the elements so that their ids stay unique while we compare them.
    seen: dict[int, object] = {}
    for row in table.rows:
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen[id(cell._tc)] = cell._tc
            for item in cell.iter_inner_content():
                if isinstance(item, Paragraph):
                    yield from _paragraph(item)
                else:
                    yield from _table(item)
