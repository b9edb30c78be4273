"""Loaders turn one file into `Extracted` text; `load_file` picks one by the file's suffix.

Each loader raises `LoadError` with a one-line reason an admin can act on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kotae.errors import LoadError
from kotae.types import Extracted

from . import csv_file, docx_file, html_file, pdf_file, text_file, xlsx_file

Loader = Callable[[Path], Extracted]

# One loader per suffix of kotae.formats.DOCUMENT_SUFFIXES (a test keeps the two in step).
LOADERS: dict[str, Loader] = {
    ".txt": text_file.load_text,
    ".md": text_file.load_text,
    ".html": html_file.load_html,
    ".htm": html_file.load_html,
    ".pdf": pdf_file.load_pdf,
    ".docx": docx_file.load_docx,
    ".xlsx": xlsx_file.load_xlsx,
    ".xlsm": xlsx_file.load_xlsx,
    ".csv": csv_file.load_csv,
}


def supported(path: Path) -> bool:
    """True when a loader exists for the file's suffix."""
    return path.suffix.lower() in LOADERS


def load_file(path: Path) -> Extracted:
    """Read `path` with the loader for its suffix; raise `LoadError` for unknown types."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"unsupported file type '{path.suffix or '(none)'}'")
    return loader(path)
