"""HTML: visible text with one line per block element, headings recorded as spans.

Script, style, navigation, hidden elements and link-only lists (tables of contents, menus) are dropped.
Whitespace follows the CSS rule for East Asian text: a line break between two wide characters is
removed (pretty-printed or hard-wrapped Japanese must not gain spaces), other whitespace runs become one
space, and ideographic spaces (U+3000) are kept as text.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from kotae.errors import LoadError
from kotae.types import Extracted

from .text_file import decode_japanese

TITLE_MAX = 120

_DROP = {"script", "style", "nav", "noscript", "template", "iframe", "svg", "canvas", "object", "head"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "tfoot", "thead", "tr", "ul",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CELLS = {"td", "th"}
# Marks a boundary between table cells (or blocks inside one) while a line is assembled.
_SEP = "\x1f"
_SMALL_CELL = 300
# ASCII whitespace, no-break space and the separator; U+3000 is absent on purpose (it is Japanese text).
_WS_RUN = re.compile(r"[ \t\n\r\f\xa0\x1f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# Windows writes these labels for CP932 text; cp932 also decodes the NEC/IBM extensions (①, ㈱).
_CHARSET_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932",
    "ms_kanji": "cp932", "euc-jp": "euc_jp", "x-euc-jp": "euc_jp",
}  # fmt: skip


def load_html(path: Path) -> Extracted:
    """Load an .html/.htm file: text one line per block, heading spans, and a title.

    The title is the <title> text, else the first <h1>, else the first line. Raises `LoadError` when the
    bytes cannot be decoded or the page has no visible text.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from exc
    soup = BeautifulSoup(decode_html(data), "lxml")
    title_tag = soup.find("title")
    title = _collapse(title_tag.get_text()) if title_tag else ""
    for tag in soup.find_all(sorted(_DROP)):
        tag.decompose()
    for tag in soup.find_all(_is_hidden_or_link_list):
        if not tag.decomposed:  # already gone with a hidden ancestor
            tag.decompose()

    lines = list(_lines(soup))
    if not lines:
        raise LoadError("empty document (no text)")

    parts: list[str] = []
    headings: list[tuple[int, int]] = []
    pos = 0
    for text, heading in lines:
        if heading:
            headings.append((pos, pos + len(text)))
        parts.append(text)
        pos += len(text) + 1
    if not title:
        h1 = soup.find("h1")
        title = _collapse(h1.get_text()) if h1 else ""
    title = (title or lines[0][0])[:TITLE_MAX]
    return Extracted(text="\n".join(parts), title=title, headings=tuple(headings))


def decode_html(data: bytes) -> str:
    """Decode HTML bytes: a BOM wins, then a <meta> charset that decodes cleanly, then detection."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if not data.startswith(codecs.BOM_UTF8):
        match = _META_CHARSET.search(data[:4096])
        if match:
            label = match.group(1).decode("ascii").lower()
            try:
                return data.decode(_CHARSET_ALIASES.get(label, label))
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong or unknown label is common: let detection decide
    return decode_japanese(data)


def _is_hidden_or_link_list(tag: Tag) -> bool:
    """Hidden elements, and lists whose text is all links (tables of contents, menus): not content."""
    if tag.has_attr("hidden") or _HIDDEN_STYLE.search(str(tag.get("style") or "")):
        return True
    if tag.name not in ("ul", "ol"):
        return False
    links = tag.find_all("a")
    if len(links) < 2:
        return False
    link_text = sum(len(_collapse(a.get_text())) for a in links)
    return link_text > 0 and link_text >= len(_collapse(tag.get_text()).replace(" ", "")) - len(links)


def _lines(soup: BeautifulSoup) -> Iterator[tuple[str, bool]]:
    """Yield (line, is_heading) for the document in order; empty lines are skipped."""
    pieces: list[str] = []
    heading_depth = 0

    def flush() -> Iterator[tuple[str, bool]]:
        text = _collapse("".join(pieces))
        pieces.clear()
        if text:
            yield text, heading_depth > 0

    def walk(node: Tag, in_cell: bool) -> Iterator[tuple[str, bool]]:
        nonlocal heading_depth
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA, processing instructions
                continue
            if isinstance(child, NavigableString):
                pieces.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if in_cell and (name == "br" or name in _BLOCKS):
                # Inside a small cell, paragraphs are kept on the row's line, apart from each other.
                pieces.append(_SEP)
                yield from walk(child, in_cell)
                pieces.append(_SEP)
            elif name == "br":
                yield from flush()
            elif name == "pre":
                yield from flush()
                for line in child.get_text().split("\n"):
                    if line.strip():
                        yield line.rstrip(), heading_depth > 0
            elif name in _BLOCKS:
                yield from flush()
                heading_depth += name in _HEADINGS
                yield from walk(child, in_cell)
                yield from flush()
                heading_depth -= name in _HEADINGS
            elif name in _CELLS:
                # One line per table row: cells share it, apart from each other. A big cell (a page laid
                # out with a table) keeps its own block structure instead.
                small = child.find("table") is None and len(child.get_text()) <= _SMALL_CELL
                pieces.append(_SEP)
                yield from walk(child, in_cell or small)
                pieces.append(_SEP)
            else:
                yield from walk(child, in_cell)

    yield from walk(soup, False)
    yield from flush()


def _collapse(text: str) -> str:
    """Fold whitespace runs: dropped at a line break between wide characters, else one space; strip.

    A run holding the cell separator always becomes one space.
    """

    def fold(match: re.Match[str]) -> str:
        run = match.group(0)
        if _SEP not in run and ("\n" in run or "\r" in run):
            before = text[match.start() - 1] if match.start() > 0 else ""
            after = text[match.end()] if match.end() < len(text) else ""
            if before and after and _is_wide(before) and _is_wide(after):
                return ""
        return " "

    return _WS_RUN.sub(fold, text).strip(" ")


def _is_wide(ch: str) -> bool:
    """East Asian Wide, Fullwidth or Halfwidth: the characters CSS joins across a line break."""
    return unicodedata.east_asian_width(ch) in ("W", "F", "H")
