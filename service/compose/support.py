"""Does a generated sentence rest on the passages it cites? Four checks:
every figure it states is in those passages (digits or kanji numerals); it brings in no content words of its
own (「廃止」 where the source says 「拡大」); most of its wording is in one cited sentence or two adjacent
ones (character bigrams, figures aside), or its meaning is close to one of them (embedding cosine) with
much shared wording. Wording is compared sentence by sentence, so a claim stitched together from words of
different sentences does not pass.

A passage that addresses an AI with an order (a planted prompt injection) supports nothing at all: whatever
else it says is suspect, so a model that obeyed it is caught rather than cited.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from kotae.embedders import normalise_rows
from kotae.jnumbers import numbers_in
from kotae.jtext import SudachiTokenizer, normalize
from kotae.types import Chunk
from service.compose.relevance import GENERIC_WORDS, EmbedFn
from service.compose.sentences import trusted_spans


@dataclass(frozen=True)
class SupportParams:
    """Thresholds: measured on sentences taken from the passages, paraphrases and fabrications (tests, README)."""

    wording: float = 0.6  # share of the sentence's bigrams in one cited sentence (or two adjacent): supported
    meaning: float = 0.7  # cosine to the closest cited sentence: supported when wording reaches ...
    meaning_wording: float = 0.4  # ... at least this
    novel: float = 0.15  # share of content words the cited passages lack: unsupported above (1 in 7)


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

    def __init__(self, embed: EmbedFn, tokenizer: SudachiTokenizer, params: SupportParams | None = None) -> None:
        self.embed = embed
        self.tokenizer = tokenizer
        self.params = params or SupportParams()

    def check(self, sentence: str, cited: list[Chunk]) -> Support:
        """The support `cited` gives `sentence` (marks already removed)."""
        pieces = [(c, s, e) for c in cited for s, e in trusted_spans(c.text)]
        if not pieces:
            return Support(False, "the cited passage addresses an AI with instructions (a possible prompt "
                                  "injection) and cannot support an answer", 0.0, 0.0, {})
        source_text = "\n".join(c.text[s:e] for c, s, e in pieces)
        missing = sorted(numbers_in(sentence, counted_kanji_only=True) - numbers_in(source_text))
        novel, novel_share = self.novel_words(sentence, source_text)
        wording = max(containment(sentence, text) for text in _windows(pieces))
        vectors = self.embed([sentence, *(c.text[s:e] for c, s, e in pieces)])
        vectors = normalise_rows(vectors)
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
        if novel_share > p.novel:
            return Support(False, f"word(s) {'、'.join(novel)} not in the cited passages", wording, meaning, spans)
        best_text = "".join(c.text[s - c.start:e - c.start] for c in cited if c.chunk_id in spans
                            for s, e in [spans[c.chunk_id]])
        if is_negative(sentence) != is_negative(best_text):
            return Support(False, "it says the opposite of the cited sentence (one of them is negated)", wording,
                           meaning, spans)
        if wording >= p.wording or (meaning >= p.meaning and wording >= p.meaning_wording):
            return Support(True, "", wording, meaning, spans)
        return Support(False, f"the cited passages do not say this (wording {wording:.2f}, meaning {meaning:.2f})",
                       wording, meaning, spans)


    def novel_words(self, sentence: str, source_text: str) -> tuple[list[str], float]:
        """Content words of `sentence` the source lacks (as tokens, as text, or by their kanji), and their share.

        Counted, not IDF-weighted: a word the index has never seen would otherwise weigh most, and a
        paraphrase's new verb (「拡大」→「広げる」) is exactly such a word."""
        words = [t for t in dict.fromkeys(self.tokenizer.tokenize(sentence))
                 if t not in GENERIC_WORDS and not any(ch.isdigit() for ch in t)]
        if not words:
            return [], 0.0
        held = set(self.tokenizer.tokenize(source_text))
        flat = normalize(source_text)
        novel = [t for t in words if t not in held and t not in flat and not _kanji_held(t, flat)]
        return novel, len(novel) / len(words)


# Negation and prohibition: 「拡大しません」 and 「拡大します」 share every content word (Sudachi drops ない).
_NEGATIVE = re.compile(
    r"ない|なく|なかっ|ません|ず[、。にとも]|ずに|ぬ[。、]|禁止|不可|ならない|いけない|できない|出来ない"
)


def is_negative(text: str) -> bool:
    """True when the text negates or forbids (「…しません」「…してはならない」「…を禁止する」)."""
    return bool(_NEGATIVE.search(unicodedata.normalize("NFKC", text)))


def _kanji_held(word: str, flat_source: str) -> bool:
    """A paraphrase keeps the kanji of what it restates (「短縮」→「短く」): every kanji of `word` is in the source."""
    kanji = [ch for ch in word if "\u4e00" <= ch <= "\u9fff"]
    return bool(kanji) and all(ch in flat_source for ch in kanji)


def _windows(pieces: list[tuple[Chunk, int, int]]) -> list[str]:
    """Each cited sentence, and each pair of adjacent sentences of one chunk."""
    texts = [c.text[s:e] for c, s, e in pieces]
    for (c1, s1, _), (c2, _, e2) in itertools.pairwise(pieces):
        if c1.chunk_id == c2.chunk_id:
            texts.append(c1.text[s1:e2])
    return texts


def containment(sentence: str, source: str) -> float:
    """Share of the sentence's character bigrams (figures and punctuation aside) that occur in `source`."""
    mine = _bigrams(sentence)
    return len(mine & _bigrams(source)) / len(mine) if mine else 0.0


def _bigrams(text: str) -> set[str]:
    text = unicodedata.normalize("NFKC", text)
    kept = "".join(ch for ch in text if ch.isalpha() or "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff")
    return {kept[i:i + 2] for i in range(len(kept) - 1)}
