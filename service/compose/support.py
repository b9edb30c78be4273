"""Does a generated sentence rest on the passages it cites? Three checks, cheapest first:
every figure it states is in those passages; enough of its wording is (character bigrams, figures aside);
or its meaning is close to one of their sentences (embedding cosine) with some shared wording.

Sentences of a passage that read as instructions to an AI (a planted prompt injection) never count as
support, so a model that obeyed one is caught rather than cited.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from kotae.jnumbers import numbers_in
from kotae.jtext import prose_sentence_spans
from kotae.types import Chunk
from service.compose.relevance import EmbedFn

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
class SupportParams:
    """Thresholds: measured on sentences taken from the passages and on unrelated ones (tests, README)."""

    wording: float = 0.5  # share of the sentence's bigrams found in the cited passages: supported outright
    meaning: float = 0.6  # cosine to the closest cited sentence: supported when wording reaches ...
    meaning_wording: float = 0.3  # ... at least this


@dataclass(frozen=True)
class Support:
    """The verdict on one sentence: `reason` says why it failed, `spans` the best cited sentence per chunk."""

    supported: bool
    reason: str
    wording: float
    meaning: float
    spans: dict[str, tuple[int, int]]  # chunk_id -> document span of the sentence it rests on most


class SupportChecker:
    """Checks sentences against cited chunks; `embed` is the index's embedder (passages side)."""

    def __init__(self, embed: EmbedFn, params: SupportParams | None = None) -> None:
        self.embed = embed
        self.params = params or SupportParams()

    def check(self, sentence: str, cited: list[Chunk]) -> Support:
        """The support `cited` gives `sentence` (marks already removed)."""
        pieces = [(c, s, e) for c in cited for s, e in prose_sentence_spans(c.text)
                  if not is_instruction(c.text[s:e])]
        if not pieces:
            return Support(False, "the cited passages hold nothing but instructions", 0.0, 0.0, {})
        source_text = "\n".join(c.text[s:e] for c, s, e in pieces)
        missing = sorted(numbers_in(sentence, kanji=False) - numbers_in(source_text))
        wording = containment(sentence, source_text)
        vectors = self.embed([sentence, *(c.text[s:e] for c, s, e in pieces)])
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        cosines = vectors[1:] @ vectors[0]
        meaning = float(cosines.max())
        spans: dict[str, tuple[int, int]] = {}
        best: dict[str, float] = {}
        for (chunk, s, e), cosine in zip(pieces, cosines, strict=True):
            closeness = containment(sentence, chunk.text[s:e]) + float(cosine)
            if closeness > best.get(chunk.chunk_id, -1.0):
                best[chunk.chunk_id] = closeness
                spans[chunk.chunk_id] = (chunk.start + s, chunk.start + e)
        p = self.params
        if missing:
            return Support(False, f"figure(s) {', '.join(missing)} not in the cited passages", wording, meaning, spans)
        if wording >= p.wording or (meaning >= p.meaning and wording >= p.meaning_wording):
            return Support(True, "", wording, meaning, spans)
        return Support(False, f"the cited passages do not say this (wording {wording:.2f}, meaning {meaning:.2f})",
                       wording, meaning, spans)


def containment(sentence: str, source: str) -> float:
    """Share of the sentence's character bigrams (figures and punctuation aside) that occur in `source`."""
    mine = _bigrams(sentence)
    return len(mine & _bigrams(source)) / len(mine) if mine else 0.0


def _bigrams(text: str) -> set[str]:
    text = unicodedata.normalize("NFKC", text)
    kept = "".join(ch for ch in text if ch.isalpha() or "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    return {kept[i:i + 2] for i in range(len(kept) - 1)}
