"""The personal-information guard in front of every language model: what staff typed and everything sent with it
(each passage's title, date, speaker and title, page label and text) are scanned (`kotae.pii`); per setting the
request is blocked, naming what was found and where (never the values), or the finds are masked with the same
placeholders everywhere. Nothing blocked ever leaves; masked text leaves only with placeholders. The extractive
composer sends nothing anywhere and is not guarded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from kotae.errors import KotaeError
from kotae.jdates import find_date
from kotae.locations import law_of, location
from kotae.pii import Finding, describe, find_personal_info, mask
from kotae.settings import GuardSettings
from kotae.types import Hit


class PersonalInfoBlocked(KotaeError):
    """The text for a model holds personal information and the guard blocks it; the message names the kinds."""


@dataclass(frozen=True)
class Passage:
    """What a model is shown of one passage: each attribute as the text that goes into the prompt (None: not
    shown), and the passage's text. The guard scans and masks exactly these."""

    title: str
    date: str | None
    speaker: str | None  # the speaker's title and name, 「市民部長 浅見典子」
    page: str | None  # where in the document (kotae.locations): 「p.3」, 「第7条」, 「手数料 B3:D3」
    text: str

    @classmethod
    def of(cls, hit: Hit) -> Passage:
        """The passage of `hit` as the prompt shows it."""
        c = hit.chunk
        speaker = " ".join(part for part in (c.speaker_title, c.speaker) if part) if c.speaker else None
        return cls(c.title, c.date or None, speaker, location(c, law_of(c.context, c.article)) or None, c.text)


# Each field of a `Passage`, in prompt order: how a block message (English) and a note (Japanese) name it.
FIELD_NAMES = {"title": ("titles", "文書名"), "date": ("dates", "日付"), "speaker": ("speakers", "発言者"),
               "page": ("places", "箇所"), "text": ("text", "本文")}


@dataclass(frozen=True)
class Guarded:
    """What may be sent: the question, the passages (masked when the guard masks), and a note of what was done."""

    question: str
    passages: tuple[Passage, ...]
    note: str  # e.g. 「資料（文書名・本文）の電話番号 2件を伏せて送信」; empty when nothing was found


def _question_findings(question: str, settings: GuardSettings) -> list[Finding]:
    """What the guard finds in the question; raises `PersonalInfoBlocked` when it blocks them."""
    if settings.question == "off":
        return []
    found = find_personal_info(question)
    if found and settings.question == "block":
        raise PersonalInfoBlocked(f"the question contains personal information ({describe(found)}); it was not "
                                  "sent to the model. Remove it, or use the extractive composer")
    return found


def check_question(question: str, settings: GuardSettings) -> str:
    """Refuse at once, before any search, a question the guard blocks (the user learns why straight away).
    Returns the question to search with: without the personal information the model will not see either."""
    text = question
    for finding in reversed(_question_findings(question, settings)):
        text = text[:finding.start] + " " + text[finding.end:]
    return text


def passage_findings(passage: Passage) -> dict[str, list[Finding]]:
    """The personal information in each field of `passage` that holds some (field name -> finds in its value).

    A date is a birth date when the passage writes that same date as one (a store ingested before birth dates
    were refused as document dates may carry one): on its own an ISO date says nothing of whose it is."""
    found: dict[str, list[Finding]] = {}
    for name in (f.name for f in fields(Passage)):  # every field: whatever is added to a Passage is scanned too
        value = getattr(passage, name)
        if value:
            finds = find_personal_info(value)
            if finds:
                found[name] = finds
    if passage.date and "date" not in found and passage.date in _birth_dates(found):
        found["date"] = [Finding("birth_date", 0, len(passage.date), passage.date)]
    return found


def _birth_dates(found: dict[str, list[Finding]]) -> set[str]:
    """The ISO dates of the birth dates found in a passage's title and text."""
    dates = {find_date(f.text, birth_dates=True) for name in ("title", "text") for f in found.get(name, [])
             if f.kind == "birth_date"}
    return {d for d in dates if d}


def _masked(passage: Passage, found: dict[str, list[Finding]]) -> Passage:
    """`passage` with the finds of each field replaced by placeholders."""
    return replace(passage, **{name: mask(getattr(passage, name), finds) for name, finds in found.items()})


def _listed(items: list[str]) -> str:
    """「a」, 「a and b」, 「a, b and c」."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def guard(question: str, hits: list[Hit], settings: GuardSettings) -> Guarded:
    """Apply the guard to a question and everything sent of its passages; raises `PersonalInfoBlocked` to block."""
    notes: list[str] = []
    found = _question_findings(question, settings)
    if found:
        question = mask(question, found)
        notes.append(f"質問の{describe(found)}を伏せて送信")
    passages = tuple(Passage.of(h) for h in hits)
    if settings.sources != "off":
        per_passage = [passage_findings(p) for p in passages]
        everything = [f for by_field in per_passage for finds in by_field.values() for f in finds]
        where = [name for name in FIELD_NAMES if any(name in by_field for by_field in per_passage)]
        if everything and settings.sources == "block":
            raise PersonalInfoBlocked(
                f"the passages for this question contain personal information ({describe(everything)}, in their "
                f"{_listed([FIELD_NAMES[n][0] for n in where])}); nothing was sent to the model")
        if everything:
            passages = tuple(_masked(p, by_field) for p, by_field in zip(passages, per_passage, strict=True))
            notes.append(f"資料（{'・'.join(FIELD_NAMES[n][1] for n in where)}）の{describe(everything)}を伏せて送信")
    return Guarded(question, passages, "、".join(notes))
