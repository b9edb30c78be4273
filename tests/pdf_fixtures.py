"""Small PDFs for tests, with a real Japanese text layer (reportlab's built-in CID font needs no font file)."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """Write one PDF page per string (lines split at newlines) and return `path`; bytes are deterministic."""
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), invariant=1)
    if title is not None:
        c.setTitle(title)
    for text in pages:
        c.setFont("HeiseiMin-W3", 12)
        for i, line in enumerate(text.split("\n")):
            c.drawString(72, 720 - 18 * i, line)
        c.showPage()
    c.save()
    return path
