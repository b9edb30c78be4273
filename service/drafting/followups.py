"""The 再質問 to expect: what members asked next, in the same sitting, after the past answers a draft rests on.

For each past answer (an executive's turn in a minutes source) the sitting is read on from the answer's chunk:
the rest of that turn, the chair's turns (議長, 委員長 …: they only call the next speaker) and the other
executives' turns (the department heads who answer the same question after the 市長) are passed over, and the
first member turn is taken when it goes on with the same topic — kept simple:

- it is the member who asked the question answered (the last member turn before the answer), or
- it opens (within its first `_CUE_CHARS` characters) with a cue that it takes up the answer: 再質問, 再々質問,
  改めて伺います (改めて alone is too common: 「…という精神が改めて問われています」 opens a new question), 先ほどの
  答弁, ご答弁, 答弁では. 「伺います」 is no cue: nearly every member's first question ends so, the next member's
  new question as much as a 再質問. The cue is looked for only at the turn's opening, where a re-question says it
  is one (「ご答弁ありがとうございました。再質問いたします。」); a new question often ends with 「…ご答弁を求めます」.

A member turn that is someone else's without a cue is a new question: that answer has no follow-up. A
re-question that names some of the answerers (「…について病院経営本部長に質問します」「これは知事への再質問です」)
follows up only theirs: for an answerer it names, the question is looked for from where it first names them; an
answerer it does not name while naming others gets none.

The cited span is the first sentence that asks (ending in か。 / ください。 / 伺います。 /
お聞きします。 / お尋ねします。 / 求めます。 / 見解は。), with the next sentence when it asks too
(「…というのですか。お答えください。」). A sentence that only announces questions (「以下三点伺います。」)
or only calls for an answer (「知事がきちんと答えてください。」) does not start it. Sentences are split as
answers' are (`service.compose.sentences.trusted_spans`), so the quote is the chunk's text at the span.
One member turn followed up by several past answers is listed once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

from kotae.index.catalog import CatalogStore
from kotae.types import Chunk, Citation
from service.compose.sentences import citation, display_text, trusted_spans

_CUE = re.compile(r"再質問|再々質問|改めて(?:伺|お聞き|お尋ね|質問|確認|お答え)|先ほどの(?:ご)?答弁|ご答弁|答弁では")
_CUE_CHARS = 80
_ASKS = re.compile(r"(?:か|ください|伺います|伺いたい|お聞きします|お尋ねします|求めます|見解は|所見は|考えは)"
                   r"[。？?]*$")
# 「そこで、以下三点伺います。」「何点か伺います。」: the questions follow
_ANNOUNCES = re.compile(r"^[^。]{0,12}(?:以下|次の|[〇一二三四五六七八九十0-9０-９]+点|何点か|数点)[^。]{0,8}"
                        r"(?:伺います|お聞きします|お尋ねします|質問いたします|質問します)。?$")
# 「知事がきちんと答えてください。」「お答えください。」: a call to answer, which asks nothing of its own
_CALL_TO_ANSWER = re.compile(r"^[^。]{0,14}(?:答え|答弁)[^。]{0,6}(?:ください|求めます)。?$")
_CHAIR_TITLE = re.compile(r"(?:議長|委員長)$")
_MAX_SENTENCES = 2


# words of any council exchange, which tie a member's question to no answer in particular
_EXCHANGE_WORDS = frozenset((
    "知事", "市長", "町長", "村長", "区長", "局長", "部長", "教育長", "議員", "答弁", "質問", "再質問", "見解", "考え",
    "認識", "取組", "取り組み", "必要", "状況", "対応", "今後", "現在", "具体", "都民", "市民", "町民", "区民", "本市",
    "本都", "東京", "説明"))


def topic_words(tokens: list[str]) -> set[str]:
    """The words of a tokenised text that can carry a topic: two characters or more, with a kanji or katakana
    (not する, いる, 考える), and not words of any exchange (知事, 答弁, 見解)."""
    return {t for t in tokens if len(t) >= 2 and re.search(r"[一-龥ァ-ヶ]", t) and t not in _EXCHANGE_WORDS}


def _anything(_: str, __: Citation) -> bool:
    return True


def _about_answer(about: Callable[[str, Citation], bool], answer: Citation, text: str) -> bool:
    return about(text, answer)


def followups(past: Sequence[Citation], catalog: CatalogStore, limit: int = 3,
              about: Callable[[str, Citation], bool] = _anything) -> tuple[Citation, ...]:
    """What members asked next after the past answers `past` in their sittings, newest sitting first, at most
    `limit`, each a `Citation` (numbered from 1) of the member's question sentence(s) — the first of the turn's
    questions that is `about` the topic or the answer it follows (a re-question often opens with another:
    「…反省はないのですか」).
    Citations of anything but an executive's turn in minutes are passed over; the rules are in the module's
    docstring."""
    sittings: dict[str, list[Chunk]] = {}
    found: dict[tuple[str, int], Citation] = {}
    for answer in sorted(past, key=lambda c: c.date or "", reverse=True):
        if answer.doc_type != "minutes" or answer.speaker_role != "executive":
            continue
        if answer.source not in sittings:
            sittings[answer.source] = catalog.chunks_of(answer.source)
        chunks = sittings[answer.source]
        at = next((i for i, c in enumerate(chunks) if c.chunk_id == answer.chunk_id), None)
        if at is None:
            continue
        asked = _next_question(chunks, at, partial(_about_answer, about, answer))
        if asked is not None:
            chunk, start, end = asked
            found.setdefault((chunk.chunk_id, start), citation(0, chunk, start, end))
        if len(found) >= limit:
            break
    return tuple(_numbered(c, n) for n, c in enumerate(found.values(), start=1))


def _numbered(c: Citation, n: int) -> Citation:
    return replace(c, n=n)


def _is_chair(chunk: Chunk) -> bool:
    return chunk.speaker_role == "chair" or bool(_CHAIR_TITLE.search((chunk.speaker_title or "").strip()))


def _same_turn(a: Chunk, b: Chunk) -> bool:
    if a.turn is not None and b.turn is not None:
        return a.turn == b.turn
    return a.speaker == b.speaker


def _next_question(chunks: list[Chunk], at: int, about: Callable[[str], bool]) -> tuple[Chunk, int, int] | None:
    """The document span of the first question the member turn after the answer at `chunks[at]` asks, when that
    turn follows up the answer; None otherwise."""
    answer = chunks[at]
    asked_at = next((k for k in range(at - 1, -1, -1) if chunks[k].speaker_role == "member"
                     and not _is_chair(chunks[k])), None)
    asker = chunks[asked_at].speaker if asked_at is not None else None
    i = at + 1
    while i < len(chunks) and (_same_turn(chunks[i], answer) or chunks[i].speaker_role != "member"
                               or _is_chair(chunks[i])):
        i += 1  # the rest of the answer, the chair calling speakers, the other answerers
    if i >= len(chunks):
        return None
    turn = [chunks[i]]
    while i + 1 < len(chunks) and _same_turn(chunks[i + 1], chunks[i]):
        i += 1
        turn.append(chunks[i])
    opening = display_text(turn[0].text[:_CUE_CHARS * 2])[:_CUE_CHARS]
    if not (asker is not None and turn[0].speaker == asker) and not _CUE.search(opening):
        return None
    answerers = {t for c in chunks[(asked_at or 0):i] if c.speaker_role == "executive"
                 and len(t := (c.speaker_title or "").strip()) >= 2}
    said = "".join(c.text for c in turn)
    title = (answer.speaker_title or "").strip()
    addressed = title in said if title else False
    if not addressed and any(t in said for t in answerers):
        return None  # the re-question is put to other answerers
    reached = not addressed
    for chunk in turn:
        if not reached:
            mention = chunk.text.find(title)
            if mention < 0:
                continue
            reached = True
            span = _asking_span(chunk, about, mention)
        else:
            span = _asking_span(chunk, about)
        if span is not None:
            return chunk, chunk.start + span[0], chunk.start + span[1]
    return None


def _asking_span(chunk: Chunk, about: Callable[[str], bool], after: int = 0) -> tuple[int, int] | None:
    """The span (in chunk offsets) of the chunk's first asking sentence `about` the topic (read with the sentence
    before it, which often names what it asks about) that ends after offset `after`, with the next one when it
    asks too."""
    spans = trusted_spans(chunk.text)
    for k, (s, e) in enumerate(spans):
        if e <= after or not _asks(chunk.text[s:e]) or _CALL_TO_ANSWER.search(display_text(chunk.text[s:e])):
            continue
        if not about(chunk.text[spans[k - 1][0] if k else s:e]):  # with the sentence that leads up to it
            continue
        end = e
        for ns, ne in spans[k + 1:k + _MAX_SENTENCES]:
            if not _asks(chunk.text[ns:ne]):
                break
            end = ne
        return s, end
    return None


def _asks(sentence: str) -> bool:
    shown = display_text(sentence)
    return bool(_ASKS.search(shown)) and not _ANNOUNCES.search(shown)
