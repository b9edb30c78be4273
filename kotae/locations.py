"""Where in its document a passage stands, as staff read it after the title: 「かつらぎ町駐車場等設置条例 第7条」
(例規), 「手数料一覧、手数料 B3:D3」 (a sheet and its cells), 「…計画、p.3」 (a PDF page). Chunks, hits and
citations all carry these fields; the command line, the Word file and the model's prompt name a place with these
functions (the web pages with `locationText` in static/app.js, which follows the same order)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol


class Located(Protocol):
    """What a chunk and a citation share about their place in the document."""

    @property
    def title(self) -> str: ...
    @property
    def page(self) -> int | None: ...
    @property
    def article(self) -> str | None: ...
    @property
    def sheet(self) -> str | None: ...
    @property
    def cells(self) -> str | None: ...


class Cited(Located, Protocol):
    """A citation's place, with the 例規 its article is of."""

    @property
    def law(self) -> str | None: ...


def article_context(law: str, article: str, about: str = "") -> str:
    """What an article's chunk is read under: 「かつらぎ町駐車場等設置条例 第7条」 (`law_of` reads it back)."""
    return f"{law} {article}{about}"


def law_of(context: str | None, article: str | None) -> str | None:
    """The 例規 an article's chunk is of, from its `article_context`; None for other chunks."""
    if not context or not article or f" {article}" not in context:
        return None
    return context[: context.index(f" {article}")] or None


def location(c: Located, law: str | None = None) -> str:
    """「第7条」, 「手数料 B3:D3」, 「p.3」, 「第7条、p.2」 (an article in a PDF), or "" when nothing narrows it;
    with the `law` of an article a document holds among others, 「南国市議会…規則 第5条、p.26」."""
    article = f"{law} {c.article}" if c.article and law and law != c.title else c.article or ""
    parts = [article, " ".join(x for x in (c.sheet, c.cells) if x), f"p.{c.page}" if c.page else ""]
    return "、".join(p for p in parts if p)


def cited_as(c: Cited) -> str:
    """The title with the place: 「かつらぎ町駐車場等設置条例 第7条」; 「政務活動費の手引き（南国市議会政務活動費の
    交付に関する規則 第5条）、p.26」 (an article of a 例規 a document holds); 「手数料一覧、手数料 B3:D3」;
    「DX推進計画、p.3」."""
    if c.article and c.law and c.law != c.title:
        title = f"{c.title}（{c.law} {c.article}）"
    else:
        title = f"{c.title} {c.article}" if c.article else c.title
    rest = [" ".join(x for x in (c.sheet, c.cells) if x), f"p.{c.page}" if c.page else ""]
    return "、".join(p for p in [title, *rest] if p)


_CELL = re.compile(r"^([A-Z]+)([0-9]+)$")


def cell_range(ranges: Iterable[str | None]) -> str | None:
    """The range that covers `ranges`: 「B3:D3」 and 「A5:C5」 -> 「A3:D5」; None when none is given."""
    corners = [c for r in ranges if r and (c := _corners(r)) is not None]
    if not corners:
        return None
    left = min((c[0] for c in corners), key=_column_number)
    right = max((c[2] for c in corners), key=_column_number)
    top, bottom = min(c[1] for c in corners), max(c[3] for c in corners)
    return f"{left}{top}" if (left, top) == (right, bottom) else f"{left}{top}:{right}{bottom}"


def rows_of(cells: str, first: int, last: int) -> str | None:
    """Rows `first`..`last` (0-based, counted from the top row) of the range `cells`: rows_of("A3:C8", 1, 1) ->
    「A4:C4」; None when `cells` is no range or the rows lie outside it."""
    c = _corners(cells)
    if c is None or not 0 <= first <= last <= c[3] - c[1]:
        return None
    left, top, right = c[0], c[1], c[2]
    return cell_range([f"{left}{top + first}", f"{right}{top + last}"])


def height(cells: str) -> int | None:
    """How many rows the range `cells` spans: 「A3:C8」 -> 6; None when it is no range."""
    c = _corners(cells)
    return None if c is None else c[3] - c[1] + 1


def _corners(cells: str) -> tuple[str, int, str, int] | None:
    first, _, last = cells.partition(":")
    a, b = _CELL.match(first), _CELL.match(last or first)
    if a is None or b is None:
        return None
    return a.group(1), int(a.group(2)), b.group(1), int(b.group(2))


def _column_number(letters: str) -> int:
    value = 0
    for ch in letters:
        value = value * 26 + ord(ch) - ord("A") + 1
    return value
