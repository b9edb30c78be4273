"""Japanese text helpers: sentence boundaries and the Sudachi tokenizer the lexical index uses."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

# A sentence ends at 。！？ (or ASCII !?), plus any closing brackets/quotes right after it, or at a line break.
_SENTENCE_END = re.compile(r"[。！？!?][」』）)】〕”’]*|\n+")

# Parts of speech that carry no topic: particles, auxiliaries, symbols, blanks.
_STOP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split `text[start:end]` into sentence spans (absolute offsets), without leading/trailing blanks.

    Line breaks end a sentence too: minutes, ordinances and PDFs put items and headings on their own lines.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        _add_trimmed(text, pos, m.end(), spans)
        pos = m.end()
    _add_trimmed(text, pos, end, spans)
    return spans


# A line that starts like this begins a new item even when the line before has no full stop.
_ITEM_START = re.compile(
    r"[\u3000○◯●・※■□◆◇▪►▶◎\uf077\uf06c【〔（(「]"
    r"|第[0-9０-９一二三四五六七八九十百]+[条項章節号回]"
    r"|[0-9０-９一二三四五六七八九十]+[\.．、)）]|[ア-ン][\.．、)）]"
)
# Shorter lines are headings or list entries, not text wrapped at the page width.
_WRAPPED_LINE_MIN = 20


def prose_sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Like `sentence_spans`, but a line break inside a sentence (PDF text wrapped at the page width) does not
    end it: a line that does not end with a full stop, is long enough to be wrapped text and is followed by a
    line that does not start a new item continues on the next line. For quoting whole sentences.
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
    if between.count("\n") != 1 or text[previous[1] - 1] in "。！？!?」』）)】〕：:":
        return False
    line_start = text.rfind("\n", 0, previous[1]) + 1
    if len(text[line_start:previous[1]].strip()) < width:  # the whole line, even when the sentence began mid-line
        return False
    return not _ITEM_START.match(text, start) and not _ITEM_START.match(between.lstrip("\n"))


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
