"""Structure: find the units chunks never cross (会議録 speaker turns, 例規 articles, tables, PDF pages). What a
document is (its title, date and kind) is read in `describe.py`.

A 会議録 turn begins at a line `○役職（氏名君）　発言` and runs to the next such line. Stage notes 〔…〕
stay in the text but never become speakers.

A 例規 article begins at its line 「第7条　…」 and runs to the next article; the caption 「(使用料)」 and a
chapter heading 「第2章　…」 on the lines just before it are its own. Everything from the first 附則 line on is
one unit 「附則」 (its amendments' 附則 too), up to the 例規集's trailer (the title repeated, 沿革情報). Inside an
article, lines 「2　…」 begin its 項 and lines 「(1)　…」 its 号: `article_label` names the narrowest of them a
passage lies in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kotae.articles import ITEM_LINE, NUMBER, PARAGRAPH_LINE, SUPPLEMENT, number
from kotae.articles import article_label as canonical_label
from kotae.types import Extracted, Page, Segment, SpeakerRole, Table

# ○ + title + （name[君]） + a blank. The title has no brackets or blanks; names may hold a full-width space.
# A blank may stand between title and bracket: the real Tokyo minutes have 「○議長 (石川良一君）」. Neither holds a
# comma or a full stop: 「○資料作成のための事務機器（パソコン、コピー機など）、消耗品等の購入費」 is a bullet of a
# manual, not a turn; nor is 「○政務活動のために必要な調査研究（出張を含む）を実施した…」, whose sentence goes on
# right after the bracket (a turn's speech starts after a blank or on the next line).
TURN_HEADER = re.compile(
    r"^[○◯〇](?P<title>[^（(\s〔、，。]{1,40})[ \u3000]*[（(](?P<name>[^）)\n、，。]{1,30}?)(?:君)?[）)]"
    r"(?:[ \u3000\t]+|$)",
    re.MULTILINE,
)

_CHAIR_TITLES = {"議長", "副議長", "仮議長", "委員長", "副委員長", "座長", "臨時議長", "年長議員"}
# Clerks of the assembly read out business; they answer no policy question. A bare 事務局長 in minutes is the
# assembly's; a commission's (選挙管理委員会事務局長, 監査事務局長, 人事委員会事務局長) is an executive answerer.
_CLERK = re.compile(
    r"^(事務局長|事務局次長)$|(議会局長|議会事務局長|議会事務局次長|議事部長|議事課長|書記)$|^議会(事務)?局"
)
_MEMBER = re.compile(r"([0-9０-９〇一二三四五六七八九十百]+番|議員)$")
_EXECUTIVE = re.compile(
    r"(知事|市長|町長|村長|区長|教育長|総監|技監|管理者|局長|部長|本部長|室長|所長|課長|理事|監|委員長|委員|会長|長)$"
)

MIN_TURNS_FOR_MINUTES = 3


def speaker_role(title: str) -> SpeakerRole:
    """Role of a speaker from the title before the brackets: chair, member, executive or other."""
    title = title.strip()
    if title in _CHAIR_TITLES:
        return "chair"
    if _MEMBER.search(title):
        return "member"
    if _CLERK.search(title):
        return "other"
    if _EXECUTIVE.search(title):
        return "executive"
    return "other"


@dataclass(frozen=True)
class Turn:
    """One speaker turn: `header_start` is where `○` stands, `start` where the speech begins."""

    header_start: int
    start: int
    end: int
    title: str
    speaker: str
    role: SpeakerRole


def find_turns(text: str) -> list[Turn]:
    """Every speaker turn in `text`, in order; each runs to the next turn or the end of the text."""
    headers = list(TURN_HEADER.finditer(text))
    turns: list[Turn] = []
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        name = re.sub(r"[\s\u3000]+", "", m.group("name"))
        title = m.group("title")
        turns.append(Turn(m.start(), m.end(), _trim_end(text, m.end(), end), title, name, speaker_role(title)))
    return turns


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def segments_for(extracted: Extracted, turns: list[Turn], doc_type: str = "") -> tuple[Segment, ...]:
    """Units for chunking: turns for minutes (plus the preamble), articles for ordinances, tables, pages for
    PDFs, else the whole text.

    Text in a PDF keeps page numbers: a turn or an article that spans pages is cut at the page break.
    """
    text = extracted.text
    if turns:
        segments: list[Segment] = []
        if text[: turns[0].header_start].strip():
            segments.append(Segment(0, _trim_end(text, 0, turns[0].header_start)))
        for number, turn in enumerate(turns, start=1):
            segments.append(
                Segment(turn.start, turn.end, speaker=turn.speaker, speaker_role=turn.role, turn=number,
                        speaker_title=turn.title)
            )
        return _split_at_pages(tuple(segments), extracted.pages)
    articles = find_articles(text) if doc_type in ARTICLED_DOC_TYPES else ()
    if articles:
        return _split_at_pages(articles, extracted.pages)
    if extracted.pages:
        base = tuple(Segment(p.start, p.end, page=p.number) for p in extracted.pages if p.end > p.start)
    else:
        base = (Segment(0, len(text)),)
    return _with_tables(text, base, extracted.tables)


def _split_at_pages(segments: tuple[Segment, ...], pages: tuple[Page, ...]) -> tuple[Segment, ...]:
    if not pages:
        return segments
    out: list[Segment] = []
    for seg in segments:
        for page in pages:
            s, e = max(seg.start, page.start), min(seg.end, page.end)
            if e > s:
                out.append(replace(seg, start=s, end=e, page=page.number))
    return tuple(out)


def _with_tables(text: str, base: tuple[Segment, ...], tables: tuple[Table, ...]) -> tuple[Segment, ...]:
    """`base` with each table carved out as a unit of its own (chunking keeps its rows whole)."""
    if not tables:
        return base
    out: list[Segment] = []
    for seg in base:
        pos = seg.start
        for table in sorted(tables, key=lambda t: t.start):
            s, e = max(seg.start, table.start), min(seg.end, table.end)
            if e <= s:
                continue
            if text[pos:s].strip():
                out.append(replace(seg, start=pos, end=_trim_end(text, pos, s)))
            rows = tuple(r for r in table.rows if s <= r.start and r.end <= e)
            header = table.header if table.header and s <= table.header[0] and table.header[1] <= e else None
            out.append(replace(seg, start=s, end=e, sheet=table.sheet,
                               table=replace(table, start=s, end=e, rows=rows, header=header)))
            pos = e
        if text[pos:seg.end].strip():
            out.append(replace(seg, start=pos, end=seg.end))
    return tuple(out)


# ---------------------------------------------------------------- 例規: 条・項・号, 附則

_ARTICLE_LINE = re.compile(rf"^第(?P<article>{NUMBER})条(?:の(?P<branch>{NUMBER}))?[\u3000 ]", re.MULTILINE)
# A caption 「(目的)」 or a heading 「第2章　総則」 just before an article line belongs to the article.
_LEAD_LINE = re.compile(rf"^(?:[（(][^）)\n]{{1,30}}[）)]|第{NUMBER}[編章節款目](?:[\u3000 ][^\n]*)?)[ \u3000]*$")
_SUPPLEMENT_LINE = re.compile(r"^附[ \u3000]*則(?:[ \u3000]*[（(][^）)\n]*[）)])?[ \u3000]*(?:抄)?[ \u3000]*$",
                              re.MULTILINE)
MIN_ARTICLES = 2
# 例規 and the rules written like them (基準, 要綱, 要領 are typed `manual`): read by article when they have some
ARTICLED_DOC_TYPES = ("ordinance", "manual")


def find_articles(text: str) -> tuple[Segment, ...]:
    """The units of a 例規 — what stands before 第1条, each article, 附則, what follows (別表, 様式, the 例規集's
    trailer) — and of each further 例規 the text holds (a 手引き with its 条例 and 規則 appended); () when the
    text has fewer than MIN_ARTICLES article lines before a 附則 (then it is read by pages or whole)."""
    units: list[Segment] = []
    trailer = len(text)
    pos = 0
    while True:
        supplement = _SUPPLEMENT_LINE.search(text, pos)
        body_end = supplement.start() if supplement else len(text)
        heads = list(_ARTICLE_LINE.finditer(text, pos, body_end))
        if len(heads) < MIN_ARTICLES:
            break
        if not units:
            trailer = _trailer_start(text, supplement.end() if supplement else heads[-1].end())
        starts = [_lead_start(text, m.start()) for m in heads]
        units.append(Segment(pos, _trim_end(text, pos, starts[0])))
        law = _law_title(text[pos:starts[0]])
        for i, m in enumerate(heads):
            end = starts[i + 1] if i + 1 < len(heads) else min(body_end, trailer)
            units.append(Segment(starts[i], _trim_end(text, starts[i], end), article=_label(m), law=law))
        if supplement is None or supplement.start() >= trailer:
            pos = min(body_end, trailer)
            break
        end = _supplement_end(text, supplement.end(), trailer)
        units.append(Segment(supplement.start(), _trim_end(text, supplement.start(), end), article=SUPPLEMENT,
                             law=law))
        pos = end
    if not units:
        return ()
    # the 例規集's trailer (施行日, 沿革情報: when it was made and each 改正) is read under the 例規's title
    is_trailer = pos == trailer < len(text)
    units.append(Segment(pos, _trim_end(text, pos, len(text)), law=_law_title(text.lstrip()[:200]) if is_trailer
                         else None))
    return tuple(u for u in units if u.end > u.start and text[u.start:u.end].strip())


_LAW_TITLE = re.compile(r"(条例|規則|規程|要綱|要領|基準|細則)$")


def _law_title(before: str) -> str | None:
    """The title of the 例規 whose articles follow `before`: its last line naming one (「…の交付に関する規則」), else
    None (the document's title then names it)."""
    for line in reversed(before.strip().split("\n")):
        line = line.strip().lstrip("○◯〇").strip()
        if 4 <= len(line) <= 80 and _LAW_TITLE.search(line):
            return line
    return None


def _label(m: re.Match[str]) -> str | None:
    try:
        return canonical_label(m.group("article"), m.group("branch"))
    except ValueError:
        return None


# What ends a 附則: an 別表 or a form (様式) after it, or the 第1条 of a further 例規 the text holds.
_AFTER_SUPPLEMENT = re.compile(rf"^(?:別表|別記|附表|様式|第{NUMBER}号様式|第[1１一]条[\u3000 ])", re.MULTILINE)


def _supplement_end(text: str, after: int, trailer: int) -> int:
    """Where the 附則 that begins before `after` ends: at the next 別表, 様式 or further 例規 (the title line above
    its 第1条 goes with it), else at the trailer."""
    m = _AFTER_SUPPLEMENT.search(text, after, trailer)
    if m is None:
        return trailer
    if m.group(0).startswith("第") and "条" in m.group(0):  # a further 例規: its title and number stand above
        start = _lead_start(text, m.start())
        return _title_lines_start(text, start, after)
    return m.start()


def _title_lines_start(text: str, start: int, floor: int) -> int:
    """The start of the lines right above `start` that name a 例規 (its title, its 「平成28年南国市規則第20号」), down
    to `floor`: they begin the next 例規, not the 附則 before."""
    pos = start
    for _ in range(4):
        prev = text.rfind("\n", floor, pos - 1)
        line_start = floor if prev < 0 else prev + 1
        line = text[line_start:pos].strip()
        if line and not re.search(r"(条例|規則|規程|要綱|基準|第[0-9０-９]+号)$", line):
            break
        if line_start <= floor:
            return floor
        pos = line_start
    return pos


def _lead_start(text: str, line_start: int) -> int:
    """Where an article's own lines begin: its line, or the caption / heading lines right above it."""
    start = line_start
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        if not _LEAD_LINE.match(text[prev:start - 1].strip()):
            break
        start = prev
    return start


def _trailer_start(text: str, after: int) -> int:
    """Where a 例規集's trailer begins after `after`: the first line repeating the title (the first line without
    its ○), else the end of the text."""
    first = text.lstrip().split("\n", 1)[0].strip().lstrip("○◯〇").strip()
    if first:
        for m in re.finditer(rf"^[ \u3000]*{re.escape(first)}[ \u3000]*$", text[after:], re.MULTILINE):
            return after + m.start()
    return len(text)


def article_label(text: str, segment: Segment, start: int, end: int) -> str | None:
    """The narrowest label of the article `segment` that holds the passage text[start:end]: the article's (「第4条」),
    or its 項 (「第4条第2項」) or 号 (「第2条第5号」, 「第4条第2項第1号」) when the passage lies inside one."""
    if segment.article is None:
        return None
    paragraphs = [(m.start(), number(m.group("n"))) for m in PARAGRAPH_LINE.finditer(text, segment.start, segment.end)]
    items = [(m.start(), _number_or_none(m.group("n"))) for m in ITEM_LINE.finditer(text, segment.start, segment.end)]
    paragraph, p_start, p_end = _unit_holding(paragraphs, segment, start, end, first=1)
    if segment.article == SUPPLEMENT:
        return f"{SUPPLEMENT}第{paragraph}項" if paragraph and paragraphs else SUPPLEMENT
    label = segment.article
    if paragraph is not None and paragraphs:
        label += f"第{paragraph}項"
    inner = [(s, n) for s, n in items if p_start <= s < p_end]
    item, _, _ = _unit_holding(inner, replace(segment, start=p_start, end=p_end), start, end, first=None)
    if item is not None:
        label += f"第{item}号"
    return label


def _unit_holding(marks: Sequence[tuple[int, int | None]], segment: Segment, start: int, end: int,
                  first: int | None) -> tuple[int | None, int, int]:
    """Of the units `marks` begin (the text before the first is unit `first`), the one holding [start, end), with
    its span; (None, segment span) when the passage spans several or lies before the first mark."""
    bounds = [(segment.start, first), *marks] if first is not None else list(marks)
    for i, (s, n) in enumerate(bounds):
        e = bounds[i + 1][0] if i + 1 < len(bounds) else segment.end
        if s <= start and end <= e and n is not None:
            return n, s, e
    return None, segment.start, segment.end


def _number_or_none(text: str) -> int | None:
    try:
        return number(text)
    except ValueError:
        return None
