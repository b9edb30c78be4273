"""OCR for PDF pages without a text layer: poppler's `pdftoppm` rasterises a page, `tesseract` reads it.

Both are external programs (Debian: `poppler-utils`, `tesseract-ocr`, `tesseract-ocr-jpn`), called with
`subprocess` and a timeout; nothing is downloaded. OCR is used only when both programs and tesseract's
`jpn` language data are present, and the environment variable `KOTAE_OCR` is not set to `off`
(also `0`, `false`, `no`). Setting `KOTAE_OCR=off` makes the PDF loader report such pages in
`Extracted.needs_ocr` instead, which is what a machine without tesseract does; tests use it for both paths.
How many pages of one file are read, and for how long, is the PDF loader's budget (`KOTAE_OCR_MAX_PAGES`,
`KOTAE_OCR_MAX_SECONDS`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from kotae.errors import LoadError

OCR_ENV = "KOTAE_OCR"
# 300 dpi read the scanned Nankoku report better than 200 dpi (place names, digits) at ~1.5 s a page.
DPI = 300
INSTALL_HINT = "Debian: apt install tesseract-ocr tesseract-ocr-jpn poppler-utils"
TIMEOUT_SECONDS = 120.0
LANG = "jpn"


def ocr_enabled() -> bool:
    """False when the `KOTAE_OCR` environment variable turns OCR off (`off`, `0`, `false`, `no`)."""
    return os.environ.get(OCR_ENV, "").strip().lower() not in {"off", "0", "false", "no"}


def unavailable_reason() -> str | None:
    """Why pages without text cannot be read here, for an admin to act on; None when OCR can run."""
    if not ocr_enabled():
        value = os.environ.get(OCR_ENV, "").strip()
        return f"OCR is switched off ({OCR_ENV}={value}; unset it or set {OCR_ENV}=on to read such pages)"
    if not ocr_available():
        return f"tesseract with Japanese (jpn) is not installed ({INSTALL_HINT})"
    return None


@lru_cache(maxsize=8)
def ocr_available(tesseract: str = "tesseract", pdftoppm: str = "pdftoppm", lang: str = LANG) -> bool:
    """True when both programs are on PATH and tesseract has the `lang` language data installed.

    Cached: the answer does not change while the process runs, and asking tesseract costs a process start.
    """
    tess = shutil.which(tesseract)
    if tess is None or shutil.which(pdftoppm) is None:
        return False
    try:
        done = subprocess.run(
            [tess, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    # tesseract 4 printed the list on stderr, 5 prints it on stdout: look at both.
    langs = {line.strip() for line in (done.stdout + "\n" + done.stderr).splitlines()}
    return lang in langs


def ocr_pdf_page(
    path: Path,
    page_number: int,
    *,
    dpi: int = DPI,
    lang: str = LANG,
    timeout: float = TIMEOUT_SECONDS,
    tesseract: str = "tesseract",
    pdftoppm: str = "pdftoppm",
) -> str:
    """OCR page `page_number` (1-based) of the PDF at `path` and return tesseract's text, unrepaired.

    Tesseract's Japanese output often has spaces between characters; the caller repairs them.
    Raises `LoadError` when a program fails, is missing, or the two together take longer than `timeout`.
    """
    # An absolute path cannot be mistaken for an option, whatever the file is called.
    pdf = str(path.absolute())
    # An uncompressed grey PGM, not PNG: compressing a 300 dpi A4 page took pdftoppm 1.1 s of its 1.2 s
    # (PGM: 0.4 s), and tesseract reads both alike. PGM carries no resolution, so tesseract is told it.
    started = time.monotonic()
    raster = _run(
        [pdftoppm, "-r", str(dpi), "-f", str(page_number), "-l", str(page_number), "-gray", pdf],
        None,
        timeout,
        "pdftoppm",
    )
    if not raster:
        raise LoadError(f"pdftoppm produced no image for page {page_number}")
    # One OpenMP thread: on 2 cores tesseract was faster so (1.2 s vs 1.6 s a page), and ingestion may
    # run several files at once. An admin's own OMP_THREAD_LIMIT wins.
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "1")}
    left = max(timeout - (time.monotonic() - started), 0.1)  # `timeout` bounds the page, not each program
    text = _run([tesseract, "-", "-", "-l", lang, "--dpi", str(dpi)], raster, left, "tesseract", env)
    return text.decode("utf-8", errors="replace")


def _run(
    cmd: list[str], stdin: bytes | None, timeout: float, name: str, env: dict[str, str] | None = None
) -> bytes:
    """Run one program, returning its stdout; every failure becomes a one-line `LoadError`."""
    try:
        done = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"{name} timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise LoadError(f"{name} could not run: {exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise LoadError(f"{name} failed (exit {done.returncode}): {err[-1] if err else 'no message'}")
    return done.stdout


def page_ranges(numbers: Iterable[int]) -> str:
    """Page numbers as short ranges: [1, 2, 3, 7, 9, 10] -> "pages 1-3, 7, 9-10" ("page 4" for one), so that a
    reason about 2,900 pages of a scan stays one short line."""
    ordered = sorted(set(numbers))
    if not ordered:
        return "no pages"
    spans: list[str] = []
    start = prev = ordered[0]
    for number in ordered[1:]:
        if number != prev + 1:
            spans.append(f"{start}-{prev}" if prev > start else str(start))
            start = number
        prev = number
    spans.append(f"{start}-{prev}" if prev > start else str(start))
    return ("page " if len(ordered) == 1 else "pages ") + ", ".join(spans)
