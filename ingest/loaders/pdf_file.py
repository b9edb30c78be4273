"""PDF: the text layer of each page via pypdf, repaired where pypdf spaced out Japanese characters.

Many Japanese PDFs (the Nankoku council's, written by 一太郎) come out of pypdf's plain extraction with a
space between every character. For such a page pypdf's layout mode is used instead (same characters, real
gaps kept); `repair_spaced_text` removes the spaces when layout mode does not help, and cleans OCR output.
Pages are joined with a blank line ("\\n\\n"); `Extracted.pages` gives each page's span in the text.
A page without a text layer is read by OCR when tesseract (jpn) and pdftoppm are installed and
`KOTAE_OCR` is not `off` (see `ocr.py`); otherwise its text is empty and its number goes to `needs_ocr`.
OCR has a budget per file (`KOTAE_OCR_MAX_PAGES`, `KOTAE_OCR_MAX_SECONDS`): pages past it go to `needs_ocr`
too, the file keeps what was read, and `Extracted.needs_ocr_reason` says why each such page was not read.
A PDF without any text is therefore not an error: the pipeline reports it as needing OCR.
"""

from __future__ import annotations

import io
import logging
import re
import time
import unicodedata
from collections import Counter
from itertools import pairwise
from pathlib import Path

from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError

from kotae.errors import LoadError
from kotae.types import Extracted, Page

from . import ocr
from .budget import Budget, current_budget

log = logging.getLogger(__name__)

# pypdf logs a warning for every repairable defect (bad startxref, odd fonts); real council PDFs trigger
# many. They are noise for an admin: failures that matter surface as LoadError instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PAGE_SEPARATOR = "\n\n"
TITLE_MAX = 120

# A line that is only a page number: "- 1 -", "－２－", "3".
_PAGE_NUMBER_LINE = re.compile(r"^[\s\-－‐―]*[0-9０-９]+[\s\-－‐―]*$")
# A page number between dashes ("- 7 -", "－７－", "ー３ー"): a footer wherever pypdf puts it on the page.
_DASHED_PAGE_NUMBER = re.compile(r"^[ \t\u3000]*[\-－‐―ー—][ \t\u3000]*[0-9０-９]{1,4}[ \t\u3000]*[\-－‐―ー—]\s*$")
# A bare number line ("7"): a page number only near the top or bottom of a page, numbered in step with the pages.
_BARE_NUMBER = re.compile(r"^[ \t\u3000]*([0-9０-９]{1,4})[ \t\u3000]*$")
# How many non-blank lines at the top and at the bottom of a page can hold a header or footer.
_EDGE_LINES = 2
# Titles that authoring tools write instead of a real one ("Microsoft Word - 0228_x.docx", "無題").
_TOOL_TITLE = re.compile(
    r"^(microsoft\s+\w+\s+-|untitled|無題|タイトルなし)|\.(docx?|xlsx?|pptx?|jtd|pdf|txt)$", re.I
)
# A bill's first line is only its number; the bill's name follows on the next line.
_BILL_NUMBER_LINE = re.compile(r"^(議案|報告|諮問|発議|請願|陳情|認定)第\s*[0-9０-９]+\s*号$")
_BLANK_RUN = re.compile(r"\n{3,}")
_SPACE_RUN = re.compile(r"[ \t\r]+")
_BLANKS = re.compile(r"\s+")


def load_pdf(path: Path, *, budget: Budget | None = None) -> Extracted:
    """Load a PDF: per-page text (OCR for pages without a text layer when available), spans and title.

    OCR stops at `budget` (default: KOTAE_OCR_MAX_PAGES / KOTAE_OCR_MAX_SECONDS from the environment).
    Raises `LoadError` for an empty file, a file that is not a PDF or is corrupt or truncated, and an
    encrypted PDF that does not open with an empty password.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    reader = _open(data)
    reading: _OcrReading | None = None  # made at the first page without text: most PDFs never need it

    texts: list[str] = []
    for number, page in enumerate(_pages(reader, data), start=1):
        try:
            raw = page.extract_text()
        except Exception as exc:  # pypdf raises many types on damaged content streams
            raise LoadError(f"corrupt PDF: page {number}: {_short(exc)}") from exc
        if raw.strip():
            texts.append(_page_text(page, raw))
            continue
        if reading is None:
            reading = _OcrReading(path, budget or current_budget(), ocr.unavailable_reason())
        texts.append(reading.read(number))

    texts = drop_page_furniture(texts)
    pages: list[Page] = []
    pos = 0
    for number, text in enumerate(texts, start=1):
        if number > 1:
            pos += len(PAGE_SEPARATOR)
        pages.append(Page(number=number, start=pos, end=pos + len(text)))
        pos += len(text)
    full = PAGE_SEPARATOR.join(texts)
    return Extracted(
        text=full,
        pages=tuple(pages),
        title=_metadata_title(reader) or _first_line(full),
        needs_ocr=tuple(reading.unread()) if reading else (),
        ocr_pages=tuple(reading.read_pages) if reading else (),
        needs_ocr_reason=reading.reason() if reading else None,
    )


class _OcrReading:
    """The OCR of one file's pages without text, within its budget, and why any page stayed unread."""

    def __init__(self, path: Path, budget: Budget, unavailable: str | None) -> None:
        self.path, self.budget, self.unavailable = path, budget, unavailable
        self.deadline: float | None = None  # set at the first page read: the budget is OCR time, not parsing
        self.tried = 0
        self.read_pages: list[int] = []
        self.not_possible: list[int] = []  # OCR off or not installed
        self.over_pages: list[int] = []  # past KOTAE_OCR_MAX_PAGES
        self.over_time: list[int] = []  # past KOTAE_OCR_MAX_SECONDS
        self.failed: dict[int, str] = {}  # the programs failed on the page

    def read(self, number: int) -> str:
        """Page `number`'s text by OCR, or "" when it cannot be read (and the page is noted as unread)."""
        if self.unavailable is not None:
            self.not_possible.append(number)
            return ""
        if self.tried >= self.budget.ocr_max_pages:
            self.over_pages.append(number)
            return ""
        now = time.monotonic()
        self.deadline = self.deadline if self.deadline is not None else now + self.budget.ocr_max_seconds
        if now >= self.deadline:
            self.over_time.append(number)
            return ""
        self.tried += 1
        try:
            # A page may not run past the file's deadline: a slow page ends the budget, not the run.
            raw = ocr.ocr_pdf_page(self.path, number, timeout=min(ocr.TIMEOUT_SECONDS, self.deadline - now))
        except LoadError as exc:
            if time.monotonic() >= self.deadline:
                self.over_time.append(number)
            else:
                log.warning("%s: OCR of page %d failed: %s", self.path, number, exc)
                self.failed[number] = str(exc)
            return ""
        text = _tidy(repair_spaced_text(raw, force=True))
        if text:
            self.read_pages.append(number)
        return text

    def unread(self) -> list[int]:
        """The pages without text that OCR did not read, in page order."""
        return sorted([*self.not_possible, *self.over_pages, *self.over_time, *self.failed])

    def reason(self) -> str | None:
        """One line: why each unread page was not read (None when every page was read)."""
        parts: list[str] = []
        if self.not_possible:
            parts.append(f"no text layer on {ocr.page_ranges(self.not_possible)} and {self.unavailable}")
        if self.over_pages:
            parts.append(f"{ocr.page_ranges(self.over_pages)} not read: the OCR budget is "
                         f"{self.budget.ocr_max_pages} pages a file (KOTAE_OCR_MAX_PAGES)")
        if self.over_time:
            parts.append(f"{ocr.page_ranges(self.over_time)} not read: the OCR budget is "
                         f"{self.budget.ocr_max_seconds:g} s a file (KOTAE_OCR_MAX_SECONDS)")
        if self.failed:
            first = next(iter(self.failed.values()))
            parts.append(f"OCR failed on {ocr.page_ranges(list(self.failed))} ({first})")
        return "needs OCR: " + "; ".join(parts) if parts else None


def _page_text(page: PageObject, plain: str) -> str:
    """The page's text, taking pypdf's layout mode for pages whose plain text is spaced out.

    On the spaced Nankoku pages (一太郎 output, one positioned glyph at a time) layout mode yields the same
    characters unspaced and keeps the real gaps ("第１条 この条例", "南国市長 平山 耕三") that repairing
    the plain text cannot tell from the spurious ones. It is used only when it has exactly the plain
    text's characters; otherwise the plain text is repaired.
    """
    if _looks_spaced(plain):
        try:
            layout = _tidy_layout(page.extract_text(extraction_mode="layout"))
        except Exception:  # layout mode is a refinement: any failure falls back to the plain text
            layout = ""
        if layout and Counter(_BLANKS.sub("", layout)) == Counter(_BLANKS.sub("", plain)):
            return repair_spaced_lines(repair_spaced_text(layout))
    return _tidy(repair_spaced_lines(repair_spaced_text(plain)))


def drop_page_furniture(texts: list[str]) -> list[str]:
    """Drop the lines that number or head the pages rather than say anything: page numbers ("- 7 -" anywhere;
    a bare "7" at the top or bottom of a page when the pages count in step with it) and a running header or
    footer (the same line at the top or bottom of most pages; its first occurrence stays, as a title or a
    dateline on the first page is text). Offsets index the text as loaded, so nothing else needs to know.
    """
    lines = [text.split("\n") for text in texts]
    drop: list[set[int]] = [set() for _ in texts]
    for page, page_lines in enumerate(lines):
        drop[page].update(i for i, line in enumerate(page_lines) if _DASHED_PAGE_NUMBER.match(line))
    _mark_running_lines(lines, drop)
    _mark_page_numbers(lines, drop)
    out: list[str] = []
    for page_lines, dropped, text in zip(lines, drop, texts, strict=True):
        out.append(_tidy("\n".join(line for i, line in enumerate(page_lines) if i not in dropped)) if dropped
                   else text)
    return out


def _edges(page_lines: list[str], dropped: set[int]) -> list[int]:
    """Indices of the first and last `_EDGE_LINES` non-blank lines not yet dropped."""
    kept = [i for i, line in enumerate(page_lines) if line.strip() and i not in dropped]
    return sorted(set(kept[:_EDGE_LINES] + kept[-_EDGE_LINES:]))


def _mark_running_lines(lines: list[list[str]], drop: list[set[int]]) -> None:
    """A line at the edge of at least 60% of the pages (of every page of a short file) is a running header or
    footer; a sentence (ending with 。) never is."""
    if len(lines) < 2:
        return
    seen: dict[str, list[tuple[int, int]]] = {}
    for page, page_lines in enumerate(lines):
        for i in _edges(page_lines, drop[page]):
            key = " ".join(page_lines[i].split())
            if len(key) >= 2 and not key.endswith("。") and not _BARE_NUMBER.match(key):
                seen.setdefault(key, []).append((page, i))
    for places in seen.values():
        pages = {page for page, _ in places}
        if len(pages) >= (len(lines) if len(lines) <= 3 else -(-len(lines) * 3 // 5)):
            for page, i in places[1:]:
                drop[page].add(i)


def _mark_page_numbers(lines: list[list[str]], drop: list[set[int]]) -> None:
    """Bare numbers at page edges that run in step with the page numbers (value minus page number the same on
    at least two pages and on most pages between them, or equal to the page number): a table's last figure is
    not one."""
    found: list[tuple[int, int, int]] = []  # (page index, line index, value - page number)
    for page, page_lines in enumerate(lines):
        for i in _edges(page_lines, drop[page]):
            m = _BARE_NUMBER.match(page_lines[i])
            if m:
                found.append((page, i, int(unicodedata.normalize("NFKC", m.group(1))) - (page + 1)))
    if not found:
        return
    offsets = Counter(offset for _, _, offset in found)
    offset, count = max(offsets.items(), key=lambda item: (item[1], item[0] == 0))
    numbered = [page for page, _, value_offset in found if value_offset == offset]
    if (count < 2 and offset != 0) or count * 2 < numbered[-1] - numbered[0] + 1:
        return  # not a numbering: most pages between the first and the last numbered would carry one
    for page, i, value_offset in found:
        if value_offset == offset:
            drop[page].add(i)


def repair_spaced_text(text: str, *, force: bool = False) -> str:
    """Remove the spaces pypdf (or tesseract) put between Japanese characters: "南 国 市" -> "南国市".

    Acts only when the text shows the pattern (more spaced than adjacent pairs of wide characters), unless
    `force` is true (OCR output, where such spaces are never meant). Then every single space between two
    non-blank characters is removed, except between two Latin words of two letters or more
    ("Microsoft Word" stays). Digits are joined too ("1 0 4 , 68 4 千 円" -> "104,684千円"), since spaced
    pages space digits the same way. Runs of two or more spaces are left alone.
    """
    if not force and not _looks_spaced(text):
        return text
    return "\n".join(_join_line(line) for line in text.split("\n"))


def repair_spaced_lines(text: str) -> str:
    """Remove the spaces of the lines that pypdf spaced out on an otherwise normal page: such a line has at
    least three single spaces between kana or kanji and more of them than wide characters side by side
    ("と い う 。）の 調 査 研 究" -> "という。）の調査研究"). Columns of figures ("５ ３ ２") are never such a
    line, and a leading article number keeps its gap ("第４条 前 条 の" -> "第４条 前条の")."""
    lines = text.split("\n")
    return "\n".join(_join_line(line) if _line_looks_spaced(line) else line for line in lines)


def _line_looks_spaced(line: str) -> bool:
    words = 0  # spaces between two wide characters that are not digits: letters spaced out, not figures
    for i in range(1, len(line) - 1):
        if line[i] == " ":
            a, b = line[i - 1], line[i + 1]
            words += _is_wide(a) and _is_wide(b) and not a.isdigit() and not b.isdigit()
    return words >= 3 and _looks_spaced(line)


def _looks_spaced(text: str) -> bool:
    """True when single spaces next to wide characters outnumber wide characters written side by side."""
    spaced = tight = 0
    for i in range(1, len(text) - 1):
        ch = text[i]
        if ch == " ":
            a, b = text[i - 1], text[i + 1]
            if not a.isspace() and not b.isspace() and (_is_wide(a) or _is_wide(b)):
                spaced += 1
        elif _is_wide(ch) and _is_wide(text[i + 1]):
            tight += 1
    return spaced >= 2 and spaced > tight


# A whole article number at the start of a line ("第４条", "第１２条の２"): the gap after it is real.
_ARTICLE_TOKEN = re.compile(r"^[\u3000]*第[0-9０-９]+条(の[0-9０-９]+)?$")


def _join_line(line: str) -> str:
    tokens = line.split(" ")
    out = [tokens[0]]
    # An empty token means two spaces in a row: such gaps are kept as they are.
    for n, (prev, tok) in enumerate(pairwise(tokens)):
        real = not prev or not tok or _keeps_space(prev, tok) or (n == 0 and _ARTICLE_TOKEN.match(prev))
        out.append(" " + tok if real else tok)
    return "".join(out)


def _keeps_space(prev: str, tok: str) -> bool:
    """A space that separates two Latin words is real; single letters are a spaced-out word."""
    a, b = prev[-1], tok[0]
    return (
        len(prev) >= 2
        and len(tok) >= 2
        and a.isascii()
        and (a.isalpha() or a in ".,;:!?)")
        and b.isascii()
        and (b.isalpha() or b == "(")
    )


def _is_wide(ch: str) -> bool:
    """Kanji, kana, full-width forms and CJK punctuation; also symbols like ○ ※ ① (not Greek letters)."""
    width = unicodedata.east_asian_width(ch)
    return width in ("W", "F", "H") or (width == "A" and not ch.isalpha())


def _tidy(text: str) -> str:
    """Drop pypdf's trailing blanks and blank-line padding; keep full-width indentation (it is text)."""
    lines = [line.strip(" \t\r") for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def _tidy_layout(text: str) -> str:
    """Layout mode pads with blank lines (line spacing) and runs of spaces (indents, columns): fold them."""
    lines = (_SPACE_RUN.sub(" ", line).strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _open(data: bytes) -> PdfReader:
    """Open the bytes with pypdf, turning each way it can fail into a one-line `LoadError`."""
    if not data:
        raise LoadError("empty file (0 bytes)")
    # The spec lets the header start within the first 1024 bytes (some tools prepend junk).
    if b"%PDF-" not in data[:1024]:
        raise LoadError("corrupt PDF: no %PDF header (not a PDF file)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise LoadError(_damage(data, exc)) from exc
    if reader.is_encrypted:
        try:
            result = reader.decrypt("")
        except DependencyError as exc:
            raise LoadError("encrypted PDF (decrypting it needs the 'cryptography' package)") from exc
        except Exception as exc:
            raise LoadError(f"encrypted PDF (cannot decrypt: {_short(exc)})") from exc
        if result == PasswordType.NOT_DECRYPTED:
            raise LoadError("encrypted PDF (password required)")
    return reader


def _pages(reader: PdfReader, data: bytes) -> list[PageObject]:
    """The page objects; a broken page tree (typical of a truncated file) is a `LoadError`."""
    try:
        return list(reader.pages)
    except Exception as exc:
        raise LoadError(_damage(data, exc)) from exc


def _damage(data: bytes, exc: Exception) -> str:
    """Name the likely cause: a file cut short has no %%EOF near its end."""
    if b"%%EOF" not in data[-2048:]:
        return f"truncated PDF (no %%EOF at end): {_short(exc)}"
    return f"corrupt PDF: {_short(exc)}"


def _short(exc: Exception) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message[:200]


def _metadata_title(reader: PdfReader) -> str | None:
    """/Title from the document info, unless it is empty, a file name, tool boilerplate or mojibake."""
    try:
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception:  # a damaged info dictionary should not cost the document
        return None
    if not isinstance(title, str):
        return None
    title = " ".join(title.split())
    if len(title) < 2 or _TOOL_TITLE.search(title):
        return None
    # Control characters, private-use glyphs or Latin-1 soup mean the title was decoded wrongly.
    if any(unicodedata.category(ch) in ("Cc", "Co", "Cs") or ch == "\ufffd" for ch in title):
        return None
    if sum(1 for ch in title if "\u0080" <= ch <= "\u00ff") > len(title) / 5:
        return None
    return title[:TITLE_MAX]


def _first_line(text: str) -> str | None:
    """The first non-empty line that is not a bare page number ("- 1 -"), cut to 120 characters.

    A bill number alone ("議案第１８号") gets the next line, the bill's name, added after a space.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not _PAGE_NUMBER_LINE.match(line)]
    if not lines:
        return None
    if _BILL_NUMBER_LINE.match(lines[0]) and len(lines) > 1:
        return f"{lines[0]} {lines[1]}"[:TITLE_MAX]
    return lines[0][:TITLE_MAX]
