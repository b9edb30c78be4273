"""Japanese text helpers: sentence boundaries and the Sudachi tokenizer the lexical index uses."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

# A sentence ends at 。！？ (or ASCII !?), plus any closing brackets/quotes right after it, or at a line break.
_SENTENCE_END = re.compile(r"[。！？!?][」』）)】〕”’]*|\n+")
_CLOSER = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕", "“": "”", "‘": "’"}
_QUOTES = {"」", "』", "”", "’"}
# 。 inside brackets ends no sentence when the bracket closes on the same line within this many characters
# (「ここが、ひと旗あげる場所。小樽市」, 「（…をいう。以下同じ。）」); an unclosed bracket changes nothing.
_BRACKET_MAX = 120
# After a quote closed by 。」 the sentence goes on when a particle or a conjunction follows (「…ます。」と述べた);
# after a bracket closed by 。） it always does (「（消費税含む。）で落札しました」).
_AFTER_QUOTE_CONTINUES = re.compile(r"[とってのをがはにでもやへよか、，]|又|及|並|若")
# Parts of speech that carry no topic: particles, auxiliaries, symbols, blanks.
_STOP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentence spans (absolute offsets), without leading/trailing blanks.

    Line breaks end a sentence too: minutes, ordinances and PDFs put items and headings on their own lines.
    A full stop inside brackets or quotes that close on the same line does not end the sentence, and a
    quote closed by 。」 goes on when a particle follows it (「…検討します。」と述べた。 is one sentence).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.group()[0] != "\n" and _inside_brackets(text, pos, m.start(), m.end(), end):
            continue
        _add_trimmed(text, pos, m.end(), spans)
        pos = m.end()
    _add_trimmed(text, pos, end, spans)
    return spans


def _inside_brackets(text: str, sentence_start: int, stop: int, after: int, end: int) -> bool:
    """True when the full stop at `stop` (its closing brackets run to `after`) stands inside brackets."""
    if not any(ch in _CLOSER for ch in text[sentence_start:stop]):
        return False  # the common case: no bracket opened in this sentence
    stack: list[str] = []
    for ch in text[sentence_start:stop]:
        if ch in _CLOSER:
            stack.append(_CLOSER[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
        elif ch == "\n":
            stack.clear()
    if not stack:
        return False
    outermost = stack[0]
    for ch in text[stop + 1:after]:  # the closers right after the full stop
        if stack and ch == stack[-1]:
            stack.pop()
    if not stack:  # 。」 closed the quote: the sentence ends unless a particle carries it on
        return outermost not in _QUOTES or _AFTER_QUOTE_CONTINUES.match(text, after, end) is not None
    limit = min(end, after + _BRACKET_MAX)
    for i in range(after, limit):
        ch = text[i]
        if ch == "\n":
            return False
        if ch in _CLOSER:
            stack.append(_CLOSER[ch])
        elif ch == stack[-1]:
            stack.pop()
            if not stack:
                return True
    return False


# A line that starts like this begins a new item even when the line before has no full stop. A figure
# (「４３．３パーセント」) is no item number: 「１．」 is one only when no digit follows.
_ITEM_START = re.compile(
    r"[\u3000○◯●・※■□◆◇▪►▶◎\uf077\uf06c【〔（(「]"
    r"|第[0-9０-９一二三四五六七八九十百]+[条項章節号回]"
    r"|[0-9０-９一二三四五六七八九十]+[\.．、)）](?![0-9０-９])|[ア-ン][\.．、)）]"
    r"|[0-9０-９]{1,3}[ \u3000](?![0-9０-９日月年])"  # an ordinance's paragraph number: 「２ 前項の…」
)
# A figure at the start of a line: 「196,000千円」「４３．３パーセント」「１２月」, a unit or word right after it.
_FIGURE_START = re.compile(r"[0-9０-９]+(?:[,，.．][0-9０-９]+)*(?=[^\s0-9０-９,，.．、)）])")
# Shorter lines are headings or list entries, not text wrapped at the page width.
_WRAPPED_LINE_MIN = 20


# A particle no sentence starts with, as the start of a line: the sentence before the line break goes on.
_PARTICLE_START = re.compile(r"(よりも|より|を|に|が|は|で|と|の|から|まで|へ|も)(?![ぁ-ん])")


def prose_sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Like `sentence_spans`, but a line break inside a sentence (PDF text wrapped at the page width) does not
    end it: a line that does not end with a full stop, is long enough to be wrapped text and is followed by a
    line that does not start a new item continues on the next line. For quoting whole sentences.

    A line followed by one that starts with a figure counts the figure as part of its length: a number is
    never broken, so a line often wraps early before one (「…高知県は」 / 「３４．１パーセント、…」).
    """
    end = len(text) if end is None else end
    width = _wrap_width(text[start:end])
    spans: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, start, end):
        if spans and _continues(text, spans[-1], s, width):
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


def _wrap_width(text: str) -> int:
    """How long a line must be to have been wrapped at the page width: most of the width of the long lines
    (a heading such as 「基本方針１ 『行かない・書かない・待たない』市役所の実現」 is shorter than the text lines)."""
    lengths = sorted(len(line.strip()) for line in text.split("\n") if len(line.strip()) >= _WRAPPED_LINE_MIN)
    if not lengths:
        return _WRAPPED_LINE_MIN
    typical = lengths[(len(lengths) * 3) // 4]  # the 75th percentile: the page width, whatever the odd long line
    return max(_WRAPPED_LINE_MIN, int(typical * 0.8))


def _continues(text: str, previous: tuple[int, int], start: int, width: int = _WRAPPED_LINE_MIN) -> bool:
    """True when the sentence at `start` is the rest of `previous`, cut by a line wrapped at `width`."""
    between = text[previous[1]:start]
    if between.count("\n") == 1 and text[previous[1] - 1] in "）)" and _PARTICLE_START.match(text, start):
        return True  # 「…という。）」 / 「よりも保険料率の高い…」: a particle goes on after the bracket
    if between.count("\n") != 1 or text[previous[1] - 1] in "。！？!?」』）)】〕：:":
        return False
    if text[previous[1] - 1] in "、，" and not _ITEM_START.match(text, start):
        return True  # no sentence ends at 、: an indented line after one is the rest of it, not a new paragraph
    next_line = between.lstrip("\n")
    if _ITEM_START.match(text, start) or _ITEM_START.match(next_line):
        return False
    line_start = text.rfind("\n", 0, previous[1]) + 1
    if _BILL_HEADING.match(text, line_start):
        return False  # 「議案第９号：南国市火災予防条例の一部を改正する条例」 heads what follows, however long
    length = len(text[line_start:previous[1]].strip())  # the whole line, even when the sentence began mid-line
    figure = _FIGURE_START.match(text, start)
    if figure is not None and length >= _WRAPPED_LINE_MIN:
        length += figure.end() - start  # the figure did not fit at the end of the line
    return length >= width


# A line naming a bill or a report by its number (a 提案理由's heading for each bill).
_BILL_HEADING = re.compile(r"\s*(議案|報告|諮問|認定|発議|請願|陳情|同意)第\s*[0-9０-９一二三四五六七八九十百]+\s*号"
                           r"\s*[：:　 ]")


def _add_trimmed(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def normalize(text: str) -> str:
    """NFKC (full/half width), lower case, and folded blanks: for matching, never for stored text."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()


class SudachiTokenizer:
    """Sudachi tokens for BM25: normalized forms (表記ゆれ folded), particles and symbols dropped.

    Mode A (short units) measured best for BM25 on the real minutes (see DESIGN.md). The Sudachi
    tokenizer object is not thread-safe, so each thread gets its own.
    """

    def __init__(self, mode: str = "A") -> None:
        self.mode = mode
        self._local = threading.local()

    def _tokenizer(self) -> Any:
        tok = getattr(self._local, "tok", None)
        if tok is None:
            tok = _dictionary().tokenizer(mode=_split_mode(self.mode))  # create() is deprecated in SudachiPy 0.7
            self._local.tok = tok
        return tok

    def tokenize(self, text: str) -> list[str]:
        """Tokens of `text` (NFKC-normalised first; Sudachi rejects inputs over ~49 KB, so long text is cut)."""
        text = unicodedata.normalize("NFKC", text)
        tokens: list[str] = []
        tok = self._tokenizer()
        for piece in _pieces(text):
            for m in tok.tokenize(piece):
                if m.part_of_speech()[0] in _STOP_POS:
                    continue
                form = m.normalized_form().lower()
                if form.strip():
                    tokens.append(form)
        return tokens


def _pieces(text: str, limit: int = 4000) -> list[str]:
    """Cut text into pieces below Sudachi's input limit, at line breaks where possible."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    while text:
        cut = text.rfind("\n", 0, limit)
        cut = cut + 1 if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:]
    return pieces


@lru_cache(maxsize=1)
def _dictionary() -> Any:
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _split_mode(mode: str) -> Any:
    from sudachipy import SplitMode

    modes = {"A": SplitMode.A, "B": SplitMode.B, "C": SplitMode.C}
    if mode not in modes:
        raise ValueError(f"Sudachi split mode must be A, B or C, not {mode!r}")
    return modes[mode]
