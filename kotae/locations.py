"""Where in its document a passage stands, as staff read it after the title: 「かつらぎ町駐車場等設置条例 第7条」
(例規), 「手数料一覧、手数料 B3:D3」 (a sheet and its cells), 「…計画、p.3」 (a PDF page). Chunks, hits and
citations all carry these fields; the command line, the Word file and the model's prompt name a place with these
functions (the web pages with `locationText` in static/app.js, which follows the same order)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from openpyxl.utils.cell import get_column_letter, range_boundaries


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
    other_law = _other_law(c, law)
    article = f"{other_law} {c.article}" if other_law else c.article or ""
    return "、".join(p for p in (article, *_sheet_and_page(c)) if p)


def cited_as(c: Cited) -> str:
    """The title with the place: 「かつらぎ町駐車場等設置条例 第7条」; 「政務活動費の手引き（南国市議会政務活動費の
    交付に関する規則 第5条）、p.26」 (an article of a 例規 a document holds); 「手数料一覧、手数料 B3:D3」;
    「DX推進計画、p.3」."""
    other_law = _other_law(c, c.law)
    if other_law:
        title = f"{c.title}（{other_law} {c.article}）"
    elif c.article:
        title = f"{c.title} {c.article}"
    else:
        title = c.title
    return "、".join(p for p in (title, *_sheet_and_page(c)) if p)


def _other_law(c: Located, law: str | None) -> str | None:
    """`law` when it names the 例規 of `c`'s article and is not the document itself (a 手引き's 規則)."""
    return law if c.article and law and law != c.title else None


def _sheet_and_page(c: Located) -> tuple[str, str]:
    return " ".join(x for x in (c.sheet, c.cells) if x), f"p.{c.page}" if c.page else ""


def cell_range(ranges: Iterable[str | None]) -> str | None:
    """The range that covers `ranges`: 「B3:D3」 and 「A5:C5」 -> 「A3:D5」; None when none is given."""
    corners = [c for r in ranges if r and (c := _corners(r)) is not None]
    if not corners:
        return None
    left, top = min(c[0] for c in corners), min(c[1] for c in corners)
    right, bottom = max(c[2] for c in corners), max(c[3] for c in corners)
    first = f"{get_column_letter(left)}{top}"
    return first if (left, top) == (right, bottom) else f"{first}:{get_column_letter(right)}{bottom}"


def rows_of(cells: str, first: int, last: int) -> str | None:
    """Rows `first`..`last` (0-based, counted from the top row) of the range `cells`: rows_of("A3:C8", 1, 1) ->
    「A4:C4」; None when `cells` is no range or the rows lie outside it."""
    c = _corners(cells)
    if c is None or not 0 <= first <= last <= c[3] - c[1]:
        return None
    left, top, right = get_column_letter(c[0]), c[1], get_column_letter(c[2])
    return cell_range([f"{left}{top + first}", f"{right}{top + last}"])


def height(cells: str) -> int | None:
    """How many rows the range `cells` spans: 「A3:C8」 -> 6; None when it is no range."""
    c = _corners(cells)
    return None if c is None else c[3] - c[1] + 1


def _corners(cells: str) -> tuple[int, int, int, int] | None:
    """(left column, top row, right column, bottom row) of an A1 range, None when it is none (openpyxl reads it)."""
    try:
        left, top, right, bottom = range_boundaries(cells)
    except ValueError:
        return None
    if None in (left, top, right, bottom):
        return None
    return left, top, right, bottom
