"""The 一般質問通告書: a council member's notice of the questions they will ask, read into numbered items.

A notice names the member (「議席番号　12番　山田　太郎」「通告者：山田太郎議員」「山田太郎議員」), the
titles asked to answer (「答弁を求める者　市長、教育長」「答弁者：市長」, or per item 「（市長）」「【市長】」 at a
line's end), and numbered items, each a title (「１　子育て支援の充実について」) with optional sub-points
(「(1) 保育所の待機児童対策について」). `parse_notice` reads them from plain text; `read_notice` gets that text from
a .txt/.md, .docx or .pdf file.

How lines are read:

* The item numbering is the first numbering the notice uses: 「1」「１.」「1、」「第1」「一」「1)」「(1)」「⑴」
  「①」. Every later line numbered the same way starts an item; any other marker (「(1)」「⑴」「①」「ア」「(ア)」
  「・」「○」) starts a point of the current item. Deeper levels (「ア」 under 「(1)」) are points too: the points
  of an item are one flat list. Items keep the order of the notice and are never renumbered.
* A line that is neither numbered nor a point continues the title or the point before it (a title wrapped over two
  lines). A blank line ends that: unmarked text after a blank line (remarks, 「以上」) is not part of any item. After a
  label line 「（要旨）」/「質問の要旨」 the next unmarked line starts a point of its own.
* Before the first item only the member and the answerers are read; the notice's title (「令和6年第3回定例会
  一般質問通告書」), dates, the addressee (「議長　様」) and greetings are skipped.
* A line with cells (「１ | 防災対策について | 市長」: pipes, full-width pipes or tabs, as a table pasted from Word or
  written in Markdown) is read cell by cell: a number cell and the next cell make an item, a cell of answerer titles
  adds answerers, and any other cell after the title is a point (several when it holds 「(1)…　(2)…」).

Text is kept as written except that blanks are trimmed and runs of blanks inside a title become one space; item
numbers are normalised to ASCII digits (「１」「一」「第１」「①」 → "1").
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.loaders.budget import current_budget
from ingest.loaders.pdf_file import load_pdf
from ingest.loaders.text_file import decode_japanese
from ingest.loaders.zipcheck import ZipLimits, check_zip
from kotae.errors import LoadError
from kotae.jdates import kanji_to_int

NOTICE_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
POINT_SEPARATOR = "、"


@dataclass(frozen=True)
class NoticeItem:
    """One numbered question of a notice: its number ("1"), title and sub-points, each as written."""

    number: str
    title: str
    points: tuple[str, ...] = ()

    @property
    def question(self) -> str:
        """The text a drafter searches with: the title, then its points in full-width brackets joined with 「、」.

        「子育て支援の充実について（保育所の待機児童対策について、放課後児童クラブの拡充について）」; the title
        alone when the item has no points, the points alone when it has no title.
        """
        points = POINT_SEPARATOR.join(self.points)
        if not points:
            return self.title
        if not self.title:
            return points
        return f"{self.title}（{points}）"


@dataclass(frozen=True)
class Notice:
    """A parsed 通告書.

    `questioner` is the member's name as written, blanks between its parts removed and a trailing 議員/委員/君/さん,
    seal (印/㊞) or bracketed 会派 dropped (「山田　太郎　議員」 → "山田太郎"); "" when the notice names none.
    `answerers` are the titles asked to answer (「市長」「教育長」), in the order the notice first names them, once
    each.
    """

    questioner: str
    answerers: tuple[str, ...]
    items: tuple[NoticeItem, ...]


# ------------------------------------------------------------------------------------------------ line patterns

_KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
_BLANK = r"[ \t\u3000]"
# (family, pattern): the numbered families an item may use first, then the markers only points use.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (family, re.compile(pattern))
    for family, pattern in (
        ("paren", r"[(（]\s*(?P<n>[0-9０-９]{1,3})\s*[)）]\s*"),
        ("paren", r"(?P<n>[\u2474-\u2487])\s*"),  # ⑴..⒇
        ("paren_kanji", r"[(（](?P<n>[一二三四五六七八九十]{1,3})[)）]\s*"),
        ("circled", r"(?P<n>[\u2460-\u2473\u3251-\u325f])\s*"),  # ①..⑳, ㉑..㉟
        ("close", r"(?P<n>[0-9０-９]{1,3})\s*[)）]\s*"),
        ("arabic", r"(?:(?:質問事項|質問|項目)\s*)?(?:第\s*)?(?P<n>[0-9０-９]{1,3})(?:\s*[問項])?"
                   rf"(?:[．、，:：]\s*|[.,](?![0-9０-９])\s*|{_BLANK}+|$)"),  # 「1.5倍」 is a number
        ("kanji", rf"(?:第\s*)?(?P<n>[一二三四五六七八九十]{{1,3}})(?:\s*[問項])?(?:[.．、，,:：]\s*|{_BLANK}+|$)"),
        ("paren_kana", rf"[(（](?P<n>[{_KANA}])[)）]\s*"),
        ("kana", rf"(?P<n>[{_KANA}])(?:[.．、)）]\s*|{_BLANK}+)"),
        ("bullet", r"[・･○◯●◎◆◇■□▪▶►➢＊*\-－−]\s*"),
    )
)
_ITEM_FAMILIES = frozenset({"arabic", "kanji", "close", "paren", "paren_kanji", "circled"})
# Where a cell or line holds several points one after another: 「(1) 保育所について　(2) 学童について」.
_INLINE_POINT = re.compile(rf"{_BLANK}+(?=[(（][0-9０-９{_KANA}]{{1,2}}[)）]|[\u2474-\u2487\u2460-\u2473])")
_INLINE_POINT_IN_CELL = re.compile(rf"{_BLANK}+(?=[(（][0-9０-９{_KANA}]{{1,2}}[)）]|[\u2474-\u2487\u2460-\u2473・○●])")

_CELL = re.compile(r"[|｜│\t]")
_RULE = re.compile(r"[\s:：\-－—―=＝|]+")  # a Markdown table's |---|:---| line, or a ruled line
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")

# Titles of those who answer at a council: 市長, 副市長, 教育長, 総務部長, 選挙管理委員会委員長, 関係理事者…
_ANSWERER = re.compile(
    r"[^\s、，,・/／()（）「」【】]{0,14}?"
    r"(?:市長|町長|村長|区長|知事|教育長|委員長|会長|管理者|部長|局長|理事者|委員会|監査委員|消防長|室長|課長|所長|院長|次長"
    r"|参与|参事|理事|監|センター長|館長)"
)
_ANSWERER_SPLIT = re.compile(r"[、，,・/／\s]+|及び|および|並びに|ならびに|ほか")
_ANSWERER_LABEL = r"(?:答弁を求める者|答弁を求めるもの|答弁を求める相手|答弁要求者|答弁者|答弁(?=\s*[:：]))"
# 「（答弁者：市長）」「【市長】」「（市長、教育長）」 at the end of a line
_BRACKET_MARK = re.compile(
    rf"[（(【［\[〔]\s*(?P<label>{_ANSWERER_LABEL}\s*[:：]?\s*)?(?P<who>[^（()）【】［］\[\]〔〕]+?)\s*[）)】］\]〕]\s*$"
)
# a table's header cell over the answerers' column
_ANSWERER_COLUMN = re.compile(rf"[【\[（(]?{_ANSWERER_LABEL}[】\]）)]?")
# 「答弁を求める者　市長、教育長」「答弁者：市長」, alone or after the title: the label at the start or after a blank
_LABELLED_MARK = re.compile(rf"(?:^|(?<=\s))[【\[（(]?{_ANSWERER_LABEL}[】\]）)]?(?:\s*[:：]\s*|\s+|$)(?P<who>.*)$")

_QUESTIONER_LABEL = re.compile(
    r"^[【\[（(]?(?:質問者氏名|質問議員|質問者|通告議員|通告者|発言者|提出者|議員氏名|議員名|氏名|(?:\S*議会)?議員)"
    r"[】\]）)]?(?:\s*[:：]\s*|\s+)(?P<rest>.*)$"
)
# 「議席番号　12番　山田太郎」, or 「12番　山田太郎」 (the number set apart: 「3番目の」 is text)
_SEAT = re.compile(r"^(?:議席番号|議席)\s*[:：]?\s*[0-9０-９]{1,3}\s*番\s*(?P<rest>.*)$")
_BARE_SEAT = re.compile(r"^[0-9０-９]{1,3}\s*番(?:\s+|$)(?P<rest>.*)$")
_NAME_PART = r"[^\s0-9０-９、。:：「」（）()【】]{1,8}"
_BARE_MEMBER = re.compile(rf"^(?P<name>{_NAME_PART}(?:\s+{_NAME_PART})?)\s*(?:議員|君|さん)$")
_NAME_TAIL = re.compile(r"(?:\s*[（(【［][^（()）【】［］]*[）)】］]|\s+印|\s*㊞|\s*(?:議員|委員|君|さん))$")

_LABEL_LINE = re.compile(r"^[【\[（(〔]?(?:質問事項|質問の要旨|質問要旨|要旨|件名|質問項目|項目|内容|番号|質問の内容)"
                         r"[】\]）)〕]?[:：]?$")
_POINTS_LABEL = re.compile(r"^[【\[（(〔]?(?:質問の要旨|質問要旨|要旨|質問の内容|内容)[】\]）)〕]?[:：]?$")
_NUMERAL = r"[0-9０-９元一二三四五六七八九十]+"
_IGNORED = re.compile(
    r"^(?:以上|通告書|.*通告書.*|.*通告(?:します|いたします|致します).*"
    r"|※.*|[（(]?注[)）:：\s].*"  # remarks
    r"|[\-－‐―ー—]\s*[0-9０-９]+\s*[\-－‐―ー—]"  # page numbers: 「- 1 -」
    rf"|(?:令和|平成|昭和)?\s*{_NUMERAL}\s*年\s*{_NUMERAL}\s*月\s*{_NUMERAL}\s*日.{{0,12}}"  # dates
    r"|[0-9０-９]{4}\s*[/／.\-]\s*[0-9０-９]{1,2}\s*[/／.\-]\s*[0-9０-９]{1,2}.{0,12}"
    r"|(?:質問方式|質問形式|質問時間|発言時間|答弁時間|所要時間|持ち時間|質問順位|受付番号|受付)\s*[:：]?.*"
    r"|.*議長.*(?:様|殿)"  # the addressee
    r")$"
)


def _clean(text: str) -> str:
    """Trimmed, with every run of blanks inside one space."""
    return " ".join(text.split())


def _join(before: str, after: str) -> str:
    """Two pieces of one wrapped line: joined directly, or with a space between two Latin words or numbers."""
    if before and after and before[-1].isascii() and before[-1].isalnum() and after[0].isascii() and after[0].isalnum():
        return f"{before} {after}"
    return before + after


def _marker(line: str) -> tuple[str, str, str] | None:
    """(family, number as written, rest of the line) when the line opens with an item or point marker."""
    for family, pattern in _MARKERS:
        m = pattern.match(line)
        if m is not None:
            number = m.groupdict().get("n") or ""
            return family, number, line[m.end() :].strip()
    return None


def _item_number(written: str) -> str:
    """An item's number in ASCII digits: 「１」「一」「①」「⑴」 → "1"."""
    folded = unicodedata.normalize("NFKC", written).strip("()（） ")
    try:
        return str(kanji_to_int(folded))
    except ValueError:
        return folded


def _answerer_tokens(text: str) -> list[str]:
    """The titles in an answerer list 「市長、教育長及び関係部長」, each without a trailing 等/など."""
    tokens = (re.sub(r"(?:等|など)$", "", token.strip()) for token in _ANSWERER_SPLIT.split(text))
    return [token for token in tokens if token]


def _only_answerers(text: str) -> list[str]:
    """The titles when `text` is nothing but answerer titles (「市長、教育長」), else []."""
    tokens = _answerer_tokens(text)
    return tokens if tokens and all(_ANSWERER.fullmatch(token) for token in tokens) else []


def _take_marks(line: str) -> tuple[str, list[str]]:
    """The line without its answerer marks (「（答弁者：市長）」「【市長】」「答弁者：市長」), and the titles they
    name."""
    found: list[str] = []
    while (m := _BRACKET_MARK.search(line)) is not None:
        who = _answerer_tokens(m.group("who")) if m.group("label") else _only_answerers(m.group("who"))
        if not who:
            break
        found[:0] = who  # marks are read from the end backwards
        line = line[: m.start()].rstrip()
    m = _LABELLED_MARK.search(line)
    if m is not None:
        found[:0] = _answerer_tokens(m.group("who"))
        line = line[: m.start()].rstrip()
    return line, found


def _trailing_answerers(text: str) -> tuple[str, list[str]]:
    """A title with answerer titles set apart by blanks at its end (「防災対策について　　市長、教育長」) split from
    them."""
    parts = re.split(rf"{_BLANK}+", text.strip())
    found: list[str] = []
    while len(parts) > 1 and (who := _only_answerers(parts[-1])):
        found[:0] = who
        parts.pop()
    return (" ".join(parts) if found else text), found


def _name(text: str) -> str:
    """A member's name as written: trailing 議員/君/さん, seals and a bracketed 会派 dropped, blanks between kanji
    removed."""
    text = text.strip()
    while (m := _NAME_TAIL.search(text)) is not None and m.start() > 0:
        text = text[: m.start()].rstrip()
    text = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text)
    return _clean(text)


def _questioner(line: str, *, header: bool) -> str | None:
    """The member a line names ("" for a seat number alone), or None when the line names no member.

    Labelled lines (「質問者　山田太郎」「議席番号　12番　山田　太郎」「通告者：山田太郎議員」) count anywhere; a bare
    「山田太郎議員」 only before the first item.
    """
    rest, labelled = line, False
    for _ in range(3):
        m = _QUESTIONER_LABEL.match(rest) or _SEAT.match(rest) or _BARE_SEAT.match(rest)
        if m is None:
            break
        rest, labelled = m.group("rest").strip(), True
    if not labelled:
        m = _BARE_MEMBER.match(line) if header else None
        if m is None or "議長" in line or "議会" in line:
            return None
        rest = m.group("name")
    name = _name(rest)
    if len(name) > 20 or "について" in name or "。" in name:
        return None
    return name


# ------------------------------------------------------------------------------------------------ the parser


@dataclass
class _Item:
    number: str
    title: str
    points: list[str] = field(default_factory=list)


@dataclass
class _Reader:
    """The state of reading one notice line by line."""

    questioner: str = ""
    answerers: list[str] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)
    item_family: str | None = None
    # what an unmarked line continues: "title", "point", "new_point" (after a 要旨 label), or None
    open: str | None = None
    title_column: int | None = None  # the cell index of the titles in a table
    answerer_column: int | None = None  # the cell index of a table's 答弁者 column, from its header row

    def add_answerers(self, titles: list[str]) -> None:
        for title in titles:
            if title not in self.answerers:
                self.answerers.append(title)

    def feed(self, raw: str) -> None:
        """Read one line of the notice."""
        line = _MARKDOWN_HEADING.sub("", raw.strip())
        if not line:
            self.open = None
        elif _CELL.search(raw):
            self.row(raw)
        else:
            self.line(line)

    def line(self, line: str, *, inline: re.Pattern[str] = _INLINE_POINT) -> str:
        """Read one line (or cell); returns what it was: "item", "point", "text", "mark" or "skip"."""
        line, marks = _take_marks(line.strip())
        self.add_answerers(marks)
        if not line:
            return "mark" if marks else "skip"
        if _IGNORED.match(line) and not _marker_is_item(line, self.item_family):
            self.open = None
            return "skip"
        if _LABEL_LINE.match(line):
            self.open = "new_point" if self.items and _POINTS_LABEL.match(line) else None
            return "skip"
        found = _marker(line)
        if found is not None:
            family, number, rest = found
            if self.item_family is None and family in _ITEM_FAMILIES:
                self.item_family = family
            pieces = _split_points(rest, inline)
            if family == self.item_family:
                title, marks = _trailing_answerers(pieces[0])
                self.add_answerers(marks)
                self.items.append(_Item(_item_number(number), _clean(title)))
                self.open = "title"
                self.points(pieces[1:])
                return "item"
            if not self.items:
                return "skip"
            self.points(pieces)
            return "point"
        who = _only_answerers(line)
        if who:
            self.add_answerers(who)
            return "mark"
        name = _questioner(line, header=not self.items)
        if name is not None:
            self.questioner = self.questioner or name
            return "skip"
        if not self.items or self.open is None:
            return "skip"  # the notice's title, dates, greetings; remarks after a blank line
        self.continue_with(line)
        return "text"

    def points(self, pieces: list[str]) -> None:
        """Add points (their markers already removed) to the current item, each without its answerer marks."""
        for piece in pieces:
            text, marks = _take_marks(piece)
            text, more = _trailing_answerers(text)
            self.add_answerers(marks + more)
            self.items[-1].points.append(_clean(text))
            self.open = "point"

    def continue_with(self, line: str) -> None:
        """Add an unmarked line to the title or point it continues."""
        text, marks = _trailing_answerers(line)
        self.add_answerers(marks)
        text = _clean(text)
        item = self.items[-1]
        if self.open == "new_point" or (self.open == "point" and not item.points):
            item.points.append(text)
            self.open = "point"
        elif self.open == "point":
            item.points[-1] = _join(item.points[-1], text)
        else:
            item.title = _join(item.title, text)

    def row(self, raw: str) -> None:
        """Read a line of cells: 「１ | 防災対策について | 市長」, or a row holding more points of the item above."""
        cells = [(i, cell.strip()) for i, cell in enumerate(_CELL.split(raw))]
        cells = [(i, cell) for i, cell in cells if cell and not _RULE.fullmatch(cell)]
        for i, cell in cells:
            if _ANSWERER_COLUMN.fullmatch(cell):
                self.answerer_column = i
        if self.answerer_column is not None:  # whatever the title: 「危機管理監」, 「市長ほか」
            for i, cell in cells:
                if i == self.answerer_column and not _ANSWERER_COLUMN.fullmatch(cell):
                    self.add_answerers(_answerer_tokens(cell))
            cells = [(i, cell) for i, cell in cells if i != self.answerer_column]
        if not cells:
            self.open = None
            return
        if not self.items:  # a header row: 「議席番号 | 12番 | 氏名 | 山田　太郎」
            name = _questioner(" ".join(cell for _, cell in cells), header=True)
            if name:
                self.questioner = self.questioner or name
                return
        first_column, first = cells[0]
        rest = cells[1:]
        found = _marker(first)
        if found is not None and not found[2] and rest:  # a number cell: the next cell is the title
            title_column, title = rest[0]
            if self.line(f"{first} {title}", inline=_INLINE_POINT_IN_CELL) == "item":
                self.title_column = title_column
            rest = rest[1:]
        elif self.items and self.title_column is not None and first_column > self.title_column:
            rest = cells  # a row continuing the item above in its points column
        else:
            kind = self.line(first, inline=_INLINE_POINT_IN_CELL)
            if kind == "item":
                self.title_column = first_column
        for _, cell in rest:
            self.cell(cell)

    def cell(self, cell: str) -> None:
        """A cell after a row's first: answerer titles, or points of the current item."""
        text, marks = _take_marks(cell)
        who = _only_answerers(text) if text else []
        self.add_answerers(marks + who)
        if not text or who:
            return
        if not self.items:
            self.line(text)
            return
        if _LABEL_LINE.match(text) or _IGNORED.match(text):
            return
        self.points(_split_points(text, _INLINE_POINT_IN_CELL, marked=False))

    def notice(self) -> Notice:
        items = tuple(
            NoticeItem(number=item.number, title=item.title, points=tuple(point for point in item.points if point))
            for item in self.items
            if item.title or any(item.points)
        )
        return Notice(questioner=self.questioner, answerers=tuple(self.answerers), items=items)


def _split_points(text: str, inline: re.Pattern[str], *, marked: bool = True) -> list[str]:
    """The pieces of a line holding several points (「保育所について　(2) 学童について」), each without its marker.

    With `marked`, the text is what follows a marker already removed, so its first piece is kept whole.
    """
    pieces = inline.split(text) if text else [""]
    out = [pieces[0]] if marked else []
    for piece in pieces[1:] if marked else pieces:
        found = _marker(piece)
        out.append(found[2] if found is not None else piece)
    return out


def _marker_is_item(line: str, family: str | None) -> bool:
    """Whether a line that looks ignorable (「1　2024年問題について」 looks like nothing else) opens an item."""
    found = _marker(line)
    return found is not None and found[0] in _ITEM_FAMILIES and found[0] == (family or found[0]) and bool(found[2])


def parse_notice(text: str) -> Notice:
    """Parse the text of a 一般質問通告書 into its member, answerers and numbered items.

    Raises `ValueError` when the text is empty or holds no numbered item (see the module docstring for the layouts).
    """
    if not text or not text.strip():
        raise ValueError("the notice is empty: no text to read questions from")
    reader = _Reader()
    for raw in text.splitlines():
        reader.feed(raw)
    notice = reader.notice()
    if not notice.items:
        raise ValueError(
            "no numbered question item found in the notice "
            "(expected lines such as '1 〇〇について' or '一 〇〇について')"
        )
    return notice


# ------------------------------------------------------------------------------------------------ files


def read_notice(path: Path) -> str:
    """The text of a notice file: .txt/.md (UTF-8, Shift_JIS/CP932 or EUC-JP), .docx (paragraphs, and table rows as
    cells joined by " | ") or .pdf (the pages' text layers, as ingestion reads them).

    Raises `ValueError` naming the file and the reason: an unsupported suffix, a missing, unreadable or corrupt
    file, or a file without text.
    """
    suffix = path.suffix.lower()
    if suffix not in NOTICE_SUFFIXES:
        raise ValueError(
            f"{path}: unsupported notice file type '{path.suffix or '(none)'}' (expected {', '.join(NOTICE_SUFFIXES)})"
        )
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    if not path.is_file():
        raise ValueError(f"{path}: not a file")
    try:
        if suffix == ".docx":
            text = _docx_text(path)
        elif suffix == ".pdf":
            text = load_pdf(path).text
        else:
            text = decode_japanese(path.read_bytes())
    except LoadError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if not text.strip():
        reason = "no text layer (a scanned notice needs OCR)" if suffix == ".pdf" else "no text"
        raise ValueError(f"{path}: empty notice, {reason}")
    return text


def _docx_text(path: Path) -> str:
    """A Word notice's paragraphs and table rows, one a line; raises `LoadError` for a file Word could not open."""
    limits = ZipLimits(current_budget().max_unpacked_bytes)
    try:
        check_zip(path, limits)
        document = docx.Document(str(path))
    except (LoadError, OSError):
        raise
    except (PackageNotFoundError, zipfile.BadZipFile) as exc:
        raise LoadError("not a Word .docx file (not a valid zip package)") from exc
    except Exception as exc:  # python-docx and lxml raise many types on a damaged package
        raise LoadError(f"corrupt .docx ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.extend(block.text.split("\n"))
        elif isinstance(block, Table):
            lines.extend(_table_rows(block))
    return "\n".join(lines)


def _table_rows(table: Table) -> list[str]:
    """Each row's cells joined by " | "; a merged cell is read where it starts and is an empty cell elsewhere."""
    seen: dict[int, object] = {}  # holds the cell elements so that their ids stay unique
    rows: list[str] = []
    for row in table.rows:
        texts: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                texts.append("")
                continue
            seen[id(cell._tc)] = cell._tc
            texts.append(_cell_text([paragraph.text for paragraph in cell.paragraphs]))
        if any(texts):
            rows.append(" | ".join(texts))
    return rows


def _cell_text(paragraphs: list[str]) -> str:
    """A cell's paragraphs on one line: a paragraph that opens with a marker after a blank, a wrapped one joined."""
    text = ""
    for paragraph in (_clean(p) for p in paragraphs):
        if not paragraph:
            continue
        text = f"{text}　{paragraph}" if text and _marker(paragraph) else _join(text, paragraph)
    return text
