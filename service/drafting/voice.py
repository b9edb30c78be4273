"""One voice per draft: the answerer (市長, or a department head's title) it speaks as, the opening that follows
from it, and the sentences another speaker said in the first person (「私みずから」 of a 知事), which a different
answerer cannot say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kotae.types import Chunk

# the heads of a municipality, who answer in their own name (「…議員のご質問にお答えいたします。」)
HEADS = ("知事", "市長", "町長", "村長", "区長")
_FIRST_PERSON = re.compile(r"私(?:は|が|も|自身|みずから|自ら|としては|としても|から|の|ども|たち)")
_ANSWERER = re.compile(r"\S{1,20}")


def check_answerer(answerer: str | None) -> str:
    """The answerer as given ("" for none); raises `ValueError` for one that is no single title (blanks inside,
    or longer than 20 characters)."""
    name = (answerer or "").strip()
    if name and not _ANSWERER.fullmatch(name):
        raise ValueError(f"answerer {answerer!r}: give one title such as 市長 or 教育長 (at most 20 characters)")
    return name


def speaks_in_first_person(text: str) -> bool:
    """Whether a sentence is in its speaker's first person (私は, 私自身, 私みずから)."""
    return _FIRST_PERSON.search(text) is not None


def same_role(a: str | None, b: str | None) -> bool:
    """Whether two titles are the same role (「教育長」 and 「教育長 」, 「福祉保健局長」 and itself)."""
    return bool(a) and bool(b) and (a or "").strip() == (b or "").strip()


def fits_voice(text: str, chunk: Chunk, answerer: str) -> bool:
    """Whether the answerer can say a sentence of `chunk`: anything a document or the answerer said, and another
    speaker's words that are not in that speaker's first person."""
    if not answerer or not chunk.speaker_title or same_role(chunk.speaker_title, answerer):
        return True
    return not speaks_in_first_person(text)


def latest_role(chunks: Iterable[Chunk]) -> str:
    """The executive role that spoke on the topic most recently among `chunks` (the best-ranked one of that
    sitting when several did); "" when none is an executive's."""
    best: tuple[str, int] | None = None
    role = ""
    for rank, chunk in enumerate(chunks):
        if chunk.speaker_role != "executive" or not chunk.speaker_title:
            continue
        key = (chunk.date or "", -rank)
        if best is None or key > best:
            best, role = key, chunk.speaker_title.strip()
    return role


def opening_line(questioner: str | None, answerer: str = "") -> str:
    """「〇〇議員のご質問にお答えいたします。」 for a head of the municipality (or no answerer named); 「〇〇議員の
    ご質問に、教育長からお答えいたします。」 for a department's head; 「ご質問に…」 without a member's name."""
    name = re.sub(r"(議員|君|氏|さん)$", "", (questioner or "").strip())
    asked = f"{name}議員のご質問に" if name else "ご質問に"
    if answerer and answerer not in HEADS:
        return f"{asked}、{answerer}からお答えいたします。"
    return f"{asked}お答えいたします。"
