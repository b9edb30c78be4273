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


def make_scanned_pdf(path: Path, pages: int, text: str) -> Path:
    """A PDF of `pages` image-only pages (no text layer), each the picture of `text` as a scanner without OCR
    writes it: the text is set in a PDF, rasterised by poppler's pdftoppm (150 dpi, grey) and drawn as an image.
    The image is stored once and drawn on every page, so thousands of pages stay small on disk."""
    import io
    import subprocess

    from reportlab.lib.utils import ImageReader

    source = make_pdf(path.with_name(f".{path.stem}-text.pdf"), [text])
    png = subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-f", "1", "-l", "1", str(source)],
                         capture_output=True, check=True, timeout=60).stdout
    source.unlink()
    image = ImageReader(io.BytesIO(png))
    c = canvas.Canvas(str(path), invariant=1)
    width, height = c._pagesize
    for _ in range(pages):
        c.drawImage(image, 0, 0, width, height)
        c.showPage()
    c.save()
    return path
