"""Sudachi's long units (mode C) for the reader's rules: question analysis reads compounds whole (宿泊税, 期日前投票)
and fact extraction finds person names (楠瀬公美); short units as written (mode A) find a compound's pieces. One
tokenizer per thread; the dictionary is kotae's.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from kotae.jtext import _dictionary

MAX_CHARS = 4000  # longer text is cut: a question or a sentence is far shorter
_local = threading.local()


def _tokenizer(mode: str) -> Any:
    """This thread's Sudachi tokenizer for split mode `mode` ("A" or "C")."""
    tokenizers: dict[str, Any] = getattr(_local, "tokenizers", {})
    if mode not in tokenizers:
        from sudachipy import SplitMode

        tokenizers[mode] = _dictionary().tokenizer(mode=getattr(SplitMode, mode))
        _local.tokenizers = tokenizers
    return tokenizers[mode]


def mode_c(text: str) -> Any:
    """Sudachi mode C morphemes of `text` (long units: 宿泊税, 期日前投票)."""
    return _tokenizer("C").tokenize(text[:MAX_CHARS])


def morphemes_a(text: str) -> Any:
    """Sudachi mode A morphemes of `text` (short units, with their part of speech and normalized form)."""
    return _tokenizer("A").tokenize(text[:MAX_CHARS])


@lru_cache(maxsize=4096)
def short_units(text: str) -> tuple[str, ...]:
    """Sudachi mode A surfaces of `text` as written (段ボール + ベッド; not the normalized forms BM25 reads)."""
    return tuple(str(m.surface()) for m in _tokenizer("A").tokenize(text[:MAX_CHARS]) if str(m.surface()).strip())


def name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of person names in `text`: runs of Sudachi's 人名 morphemes (楠瀬 + 公美, 平山 耕三 across a blank)."""
    spans: list[tuple[int, int]] = []
    for m in mode_c(text):
        pos = m.part_of_speech()
        if pos[1] != "固有名詞" or pos[2] != "人名":
            continue
        start, end = m.begin(), m.end()
        if spans and not text[spans[-1][1]:start].strip():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans
