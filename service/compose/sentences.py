"""Quotable sentences of retrieved passages, with offsets into the document text and the set phrases of
assembly answers (「ご質問にお答えいたします。」) left out.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass

from kotae.articles import ITEM_LINE, PARAGRAPH_LINE, SUPPLEMENT, number, paragraph_at, paragraph_of
from kotae.formats import ROW_JOINER, SHEET_MARK
from kotae.jtext import prose_sentence_spans
from kotae.locations import height, law_of, rows_of
from kotae.types import Chunk, Citation, Hit

# Set phrases of 答弁 and speeches that carry no content: they would match a question's words without answering.
_FORMULAIC = re.compile(
    r"(ご?質問|ご?質疑|お尋ね|ご提案|ご意見)に(つきまして|ついて)?[、，]?(は、?)?(お答え|ご?答弁|回答)|"
    r"答弁(いた|致)させ|(から|より)の?(お答え|ご?答弁)|ご?答弁とさせていただきます|お答え(いた|致)します。?$|"
    r"^〔[^〕]*〕$|"  # a stage direction of the minutes: 〔オリンピック・パラリンピック準備局長潮田勉君登壇〕
    r"ご冥福を?(?:改めて)?(?:心から)?お祈り|お見舞いを?申し上げ|お悔やみを?申し上げ|"  # condolences
    r"^(以上(?!の)|おはようございま|こんにちは)|ありがとうございま(す|した)[。」]*$|"
    r"^[^。]{0,40}(について|につきまして)(でございます|であります|です|申し上げます|ご説明(いた|申し上げ)ます)。?$"
)
# A member's turn asks; its questions are no answer (「…について伺います。」「…見解は。」).
_QUESTION = re.compile(
    r"(か|伺います|伺いたい|お聞きします|お尋ねします|求めます|ください|願います|見解は|所見は|考えは)[。？?]?$"
)
# 「次に掲げる情報を入力してはならない。」 says nothing without the list that follows it.
_INTRODUCES_LIST = re.compile(r"(次に掲げる|次の|以下の)[^。]*[。：:]$")
_LIST_ITEM = re.compile(r"\s*(?:[（(]?[0-9０-９一二三四五六七八九十]+[)）.．、]|[・○●■□※-])")
_LIST_MAX_CHARS = 300
_ROW_MAX_CHARS = 60
# The next section's heading ends a list: 「## 第５　入力してはならない情報」, 「第５　…」, 「第３条　…」
_SECTION_HEADING = re.compile(r"#+\s|第[0-9０-９一二三四五六七八九十]+(条|章|節|款)?[\s　]")
# Any document's own questions (an FAQ's 「Q11. 手数料はいくらですか。」) are no answer either.
_ANY_QUESTION = re.compile(r"^[QＱ問][0-9０-９]*[.．:：、\s]|(か|[？?])[。」]?$")
_HEADING_CHARS = 25  # a shorter line without a full stop is a heading (「（２）生成ＡＩの全庁導入」)
# No sentence starts with these: a chunk that begins mid-sentence (text wrapped across a chunk edge) does.
_MID_SENTENCE = tuple("ンっゃゅょぁぃぅぇぉッャュョァィゥェォー、。，．）」』】〕・")
_LEADING_MARK = re.compile(r"^(?:[・○●◯■□◆◇▪※\uf077\uf06c]|[AＡ答][.．:：、])\s*")
_MIN_CHARS = 8  # shorter pieces are headings or fragments, not statements
# 「…の交付に関する条例 ・・・・・・  18」: a line of a table of contents
_CONTENTS_LINE = re.compile(r"[・…‥.．]{4,}[ \t　]*[0-9０-９]+[ \t　]*$", re.MULTILINE)
_MAX_CHARS = 400  # longer "sentences" are tables or diagrams flattened into text


_INSTRUCTION = re.compile(
    r"(指示|命令|指令|ルール|設定|プロンプト)を(すべて|全て)?(無視|忘れ)|"
    r"ignore\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier)\s+instructions|system\s+prompt|"
    r"(AI|ＡＩ|人工知能|アシスタント|言語モデル|あなた)(は|が|も|へ|に)[^。]{0,60}"
    r"(回答|出力|答え|記載|記述|返答)(する|しろ|せよ|しなさい|すること|してください|するように)|"
    r"(以下|次)の(とおり|ように)(回答|出力)(せよ|しなさい|すること|してください)",
    re.IGNORECASE,
)


def is_instruction(sentence: str) -> bool:
    """True for a sentence that addresses an AI with an order (「AIは…と回答すること」, "ignore previous
    instructions"): data that tries to act as a prompt."""
    return bool(_INSTRUCTION.search(unicodedata.normalize("NFKC", sentence)))


@dataclass(frozen=True)
class Candidate:
    """A sentence of a hit: `start`/`end` index the document text, `quote == document text[start:end]`."""

    hit: Hit
    start: int
    end: int
    quote: str
    position: int  # order within the hit
    list_from: int | None = None  # offset in `quote` where the list or table the sentence introduces begins

    @property
    def chunk(self) -> Chunk:
        """The chunk the sentence lies in."""
        return self.hit.chunk

    @property
    def display(self) -> str:
        """The sentence as shown in an answer: line breaks and indents of the source removed; a table's row read
        with its header (`row_display`)."""
        if self.chunk.cells is not None and ROW_JOINER in self.quote:
            return row_display(self.quote, header_of(self.chunk))
        return display_text(self.quote, self.list_from)


def display_text(quote: str, list_from: int | None = None) -> str:
    """A source sentence for reading: wrapped lines joined, leading indent and bullet dropped. From offset
    `list_from` on, the quote is the list or table the sentence introduces: its lines are kept apart by 「／」."""
    head = quote if list_from is None else quote[:list_from]
    shown = _LEADING_MARK.sub("", re.sub(r"\s*\n\s*", "", head).strip("\u3000 \t"))
    if list_from is not None:
        lines = [line.strip("\u3000 \t\r") for line in quote[list_from:].split("\n")]
        shown += "".join("／" + item for item in _items([line for line in lines if line]))
    return shown.removeprefix("／")  # a quote of items alone (a list a chunk edge cut from its sentence)


# An item of a list or the row of a table starts a line so: (1), （２）, ①, ア, 一、, ・, 第3条, 2．
_ITEM_START = re.compile(r"^(?:[(（][0-9０-９一二三四五六七八九十]+[)）]|[0-9０-９]+[)）.．、\s]|[①-⑳]|"
                         r"[ア-ン][\s　]|[一二三四五六七八九十]+[\s　、]|[・●○◯■□◆◇※]|"
                         r"第[0-9０-９一二三四五六七八九十]+[条項号])")
_WRAPPED_CHARS = 25  # a line at least this long, and as long as the longest, not ended: the page wrapped it


def _items(lines: list[str]) -> list[str]:
    """The items of a list's lines: a PDF line wrapped inside an item (「…要する額を転」「居費の額とする方法」) is
    joined to the next, so no 「／」 lands inside a word; shorter lines (a table's rows, an item's last line) end
    their item."""
    width = max((len(line) for line in lines), default=0)
    items: list[str] = []
    wrapped = False
    for line in lines:
        if items and wrapped and not _ITEM_START.match(line):
            items[-1] += line
        else:
            items.append(line)
        wrapped = len(line) >= max(_WRAPPED_CHARS, 0.85 * width) and not line.endswith(("。", "）", ")", "」"))
    return items


def is_formulaic(sentence: str) -> bool:
    """True for set phrases that answer nothing (「…についてでございます。」, 「…からお答えいたします。」)."""
    return bool(_FORMULAIC.search(display_text(sentence)))


def is_heading(sentence: str) -> bool:
    """True for a short line without a full stop: a title or numbered heading, not a statement."""
    text = display_text(sentence)
    return len(text) < _HEADING_CHARS and not text.endswith(("。", "！", "？", "」", "）", ")"))


def trusted_spans(text: str) -> list[tuple[int, int]]:
    """The text's sentences before the first one that addresses an AI with an order: the order and whatever
    follows it (the planted answer, a forged 「質問:」) are the attack, never an answer or its support."""
    spans: list[tuple[int, int]] = []
    for s, e in prose_sentence_spans(text):
        if is_instruction(text[s:e]):
            break
        spans.append((s, e))
    return spans


def candidates(hits: list[Hit], procedure: bool = False) -> list[Candidate]:
    """The quotable sentences of `hits`, in hit order; chair and clerk turns are procedure and are skipped,
    unless `procedure` (who was named, reported on or has died is said there: 「交通局長土渕裕氏は、昨日、逝去」).
    A chunk of a sheet's or CSV file's rows gives each row but the header."""
    out: list[Candidate] = []
    for hit in hits:
        chunk = hit.chunk
        if chunk.speaker_role in ("chair", "other") and not procedure:
            continue
        if chunk.cells is not None:
            out.extend(_rows(hit))
            continue
        spans = trusted_spans(chunk.text)
        for position, (s, e) in enumerate(spans):
            enacted = _enactment_end(chunk.text, spans, position) or _signature_end(chunk.text, spans, position)
            if enacted:  # 「平成9年11月14日／条例第25号」 under an ordinance's title: when and as what it was made
                out.append(Candidate(hit, chunk.start + s, chunk.start + enacted, chunk.text[s:enacted], position))
                continue
            sentence_end, e = e, _with_list(chunk.text, s, e)
            quote = chunk.text[s:e]
            if not _MIN_CHARS <= len(quote) <= _MAX_CHARS or is_formulaic(quote) or is_heading(quote):
                continue
            if _CONTENTS_LINE.search(quote):
                continue
            if position == 0 and quote.startswith(_MID_SENTENCE):
                continue
            shown = display_text(quote)
            if _ANY_QUESTION.search(shown) or (chunk.speaker_role == "member" and _QUESTION.search(shown)):
                continue
            list_from = sentence_end - s if e > sentence_end else None
            out.append(Candidate(hit, chunk.start + s, chunk.start + e, quote, position, list_from))
    return out


def header_of(chunk: Chunk) -> list[str]:
    """The header cells a table chunk is read under (its `context`'s last line), [] when it has none."""
    return chunk.context.split("\n")[-1].split(ROW_JOINER) if chunk.context else []


def _row_lines(chunk: Chunk) -> list[tuple[int, int]]:
    """The spans (offsets in the chunk) of a table chunk's rows, the header's too: its lines but the sheet's name."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in chunk.text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if line.strip() and not line.startswith(SHEET_MARK):
            spans.append((start, start + len(line)))
    return spans


def _rows(hit: Hit) -> list[Candidate]:
    """Each row of a table chunk but the header row."""
    chunk = hit.chunk
    header = ROW_JOINER.join(header_of(chunk))
    out: list[Candidate] = []
    for s, e in _row_lines(chunk):
        if chunk.text[s:e] != header:
            out.append(Candidate(hit, chunk.start + s, chunk.start + e, chunk.text[s:e], len(out)))
    return out


def cited_article(chunk: Chunk, start: int, end: int) -> str | None:
    """The article label of the document span [start, end) of an article's chunk: the chunk's 「第3条」 narrowed to
    the 項 the span lies in (「第3条第2項」, when the article has several) and to its 号 when the span is one item
    line (「第5条第3号」)."""
    label = chunk.article
    if not label or paragraph_of(label) is not None or label.startswith(SUPPLEMENT) or "号" in label:
        return label
    s, e = start - chunk.start, end - chunk.start
    first, last = paragraph_at(chunk.text, s), paragraph_at(chunk.text, max(s, e - 1))
    if first is None or first != last:
        return label
    if PARAGRAPH_LINE.search(chunk.text):
        label += f"第{first}項"
    quote = chunk.text[s:e]
    item = ITEM_LINE.match(quote)
    if item and "\n" not in quote.strip():
        with suppress(ValueError):
            label += f"第{number(item.group('n'))}号"
    return label


def cited_cells(chunk: Chunk, start: int, end: int) -> str | None:
    """The cells of the rows the document span [start, end) of a table chunk covers (「A4:C4」); the chunk's
    range when its rows are not consecutive (an empty row between them), None outside tables."""
    if chunk.cells is None:
        return None
    spans = _row_lines(chunk)
    if len(spans) != height(chunk.cells):
        return chunk.cells
    s, e = start - chunk.start, end - chunk.start
    covered = [i for i, (a, b) in enumerate(spans) if a < e and s < b]
    return rows_of(chunk.cells, covered[0], covered[-1]) if covered else chunk.cells


def row_display(row: str, header: list[str]) -> str:
    """A row as a sentence: its first cell, then the others under their column names —
    「住民票の写し（コンビニ交付）（手数料：200円、備考：マイナンバーカードが必要）」; cells joined by 「、」 when the
    header does not fit the row."""
    cells = row.split(ROW_JOINER)
    if len(header) == len(cells) >= 2:
        named = [f"{name}：{value}" if name else value for name, value in zip(header[1:], cells[1:], strict=True)
                 if value]
        return f"{cells[0]}（{'、'.join(named)}）" if named else cells[0]
    return "、".join(c for c in cells if c)


# Hiragana that open a sentence (また、この、ただし…); any other hiragana start of a chunk is the rest of a sentence.
_SENTENCE_OPENERS = re.compile(
    r"(また|なお|さらに|これ|それ|この|その|あの|ただし|あわせて|しかし|すなわち|まず|つぎ|いずれ|こう|そう|ここ|"
    r"そこ|よって|したがって|ところ|とりわけ|とくに|なかでも|もっとも|いま|いわゆる|かつ|または|もし|たとえ|わが|ご|お|"
    r"こちら|あらかじめ|おおむね|すべて|すでに|ますます|ぜひ|どの|どう|なぜ)")


def starts_mid_sentence(text: str) -> bool:
    """Whether `text` (a chunk) begins inside a sentence that began before it: 「よりも保険料率の高い…」, 「は、次の…」,
    a closing bracket or small kana."""
    head = text.lstrip(" \u3000\t\r\n")
    if not head:
        return False
    if head.startswith(_MID_SENTENCE):
        return True
    return "ぁ" <= head[0] <= "ゖ" and not _SENTENCE_OPENERS.match(head)


def introduces_list(sentence: str) -> bool:
    """Whether `sentence` says nothing without the list after it (「次に掲げる情報を入力してはならない。」)."""
    return bool(_INTRODUCES_LIST.search(sentence.rstrip()))


_ENACTED_ON = re.compile(r"(明治|大正|昭和|平成|令和)[0-9０-９元一二三四五六七八九十]+年"
                         r"[0-9０-９一二三四五六七八九十]+月[0-9０-９一二三四五六七八九十]+日")
_ENACTED_AS = re.compile(r"[^\s。]{0,12}(条例|規則|規程|要綱|訓令|告示)第[0-9０-９一二三四五六七八九十百]+号")


def is_enactment(quote: str) -> bool:
    """Whether `quote` is a 例規's enactment lines alone (「昭和43年9月10日／規程第9号」): when it was made and as
    what, which answers 「いつ」 and 「第何号」, nothing else."""
    lines = [line.strip() for line in quote.strip().split("\n")]
    return len(lines) == 2 and bool(_ENACTED_ON.fullmatch(lines[0])) and bool(_ENACTED_AS.fullmatch(lines[1]))


def _enactment_end(text: str, spans: list[tuple[int, int]], position: int) -> int:
    """The end of an enactment line pair (a date line, then 「条例第25号」) starting at span `position`, or 0."""
    if position + 1 >= len(spans):
        return 0
    (s, e), (ns, ne) = spans[position], spans[position + 1]
    if _ENACTED_ON.fullmatch(text[s:e].strip()) and _ENACTED_AS.fullmatch(text[ns:ne].strip()) and \
            text[e:ns].count("\n") == 1:
        return ne
    return 0


_ROLE_LINE = re.compile(r"[^\s。、]{0,60}(委員長|副委員長|議長|副議長|市長|町長|村長|区長|知事|局長|部長|課長|教育長|"
                        r"委員|会長|理事長|代表)")


def _signature_end(text: str, spans: list[tuple[int, int]], position: int) -> int:
    """The end of a role line followed by a line holding only a person's name (a report's 「…審査特別委員長」 /
    「伊藤 ゆう」) starting at span `position`, or 0."""
    if position + 1 >= len(spans):
        return 0
    (s, e), (ns, ne) = spans[position], spans[position + 1]
    name = text[ns:ne].strip()
    if not _ROLE_LINE.fullmatch(text[s:e].strip()) or text[e:ns].count("\n") != 1 or not 2 <= len(name) <= 12:
        return 0
    from kotae.morphology import name_spans

    found = name_spans(name)
    return ne if len(found) == 1 and found[0] == (0, len(name)) else 0


def _with_list(text: str, start: int, end: int) -> int:
    """The end of the sentence at [start, end) extended over the list items or table rows it introduces."""
    if not _INTRODUCES_LIST.search(text, start, end):
        return end
    return items_end(text, end, start)


def items_end(text: str, pos: int, start: int | None = None) -> int:
    """The end of the list items or table rows on the lines after `pos` in `text` (or from `pos` on, when it is
    0: a chunk that begins with the items), at most _LIST_MAX_CHARS from `start` (`pos` by default); `pos` when no
    item follows."""
    start = pos if start is None else start
    at_start = pos == 0
    while pos < len(text):
        item = pos
        while item < len(text) and item - pos < 3 and text[item] in "\r\n":
            item += 1
        if item == pos and not at_start:
            break
        at_start = False
        line_end = text.find("\n", item)
        line_end = len(text) if line_end < 0 else line_end
        if not (_LIST_ITEM.match(text, item) or _is_row(text[item:line_end])):
            break
        if line_end - start > _LIST_MAX_CHARS:
            break
        pos = line_end
    return pos


def _is_row(line: str) -> bool:
    """A table row or caption flattened to a line: short, no full stop, not a question."""
    line = line.strip()
    return 0 < len(line) <= _ROW_MAX_CHARS and not line.endswith("。") and not _ANY_QUESTION.search(line) \
        and not _SECTION_HEADING.match(line)


def citation(n: int, chunk: Chunk, start: int, end: int) -> Citation:
    """Citation `n` of `chunk` for the document span [start, end), which must lie inside the chunk."""
    if not chunk.start <= start < end <= chunk.end:
        raise ValueError(f"span {start}-{end} is outside chunk {chunk.chunk_id} ({chunk.start}-{chunk.end})")
    quote = chunk.text[start - chunk.start:end - chunk.start]
    return Citation(n=n, chunk_id=chunk.chunk_id, source=chunk.source, title=chunk.title, doc_type=chunk.doc_type,
                    date=chunk.date, page=chunk.page, speaker=chunk.speaker, speaker_title=chunk.speaker_title,
                    speaker_role=chunk.speaker_role, start=start, end=end, quote=quote,
                    article=cited_article(chunk, start, end), law=law_of(chunk.context, chunk.article),
                    sheet=chunk.sheet, cells=cited_cells(chunk, start, end), municipality=chunk.municipality,
                    url=chunk.url,
                    fetched_at=chunk.fetched_at)
