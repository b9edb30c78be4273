"""The personal-information guard in front of every language model: what staff typed and the passages sent with
it are scanned (`kotae.pii`); per setting the request is blocked, naming what was found (never the values), or the
finds are masked. Nothing blocked ever leaves; masked text leaves only with placeholders. The extractive composer
sends nothing anywhere and is not guarded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kotae.errors import KotaeError
from kotae.pii import Finding, describe, find_personal_info, mask
from kotae.settings import GuardSettings
from kotae.types import Hit


class PersonalInfoBlocked(KotaeError):
    """The text for a model holds personal information and the guard blocks it; the message names the kinds."""


@dataclass(frozen=True)
class Guarded:
    """What may be sent: the question, how to transform each passage, and a note of what was done."""

    question: str
    redact: Callable[[str], str]
    note: str  # e.g. 「資料の電話番号 2件を伏せて送信」; empty when nothing was found


def _unchanged(text: str) -> str:
    return text


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


def guard(question: str, hits: list[Hit], settings: GuardSettings) -> Guarded:
    """Apply the guard to a question and its passages; raises `PersonalInfoBlocked` to block."""
    notes: list[str] = []
    found = _question_findings(question, settings)
    if found:
        question = mask(question, found)
        notes.append(f"質問の{describe(found)}を伏せて送信")
    redact: Callable[[str], str] = _unchanged
    if settings.sources != "off":
        found = [f for h in hits for f in find_personal_info(h.chunk.text)]
        if found and settings.sources == "block":
            raise PersonalInfoBlocked(f"the passages for this question contain personal information "
                                      f"({describe(found)}); nothing was sent to the model")
        if found:
            redact = mask
            notes.append(f"資料の{describe(found)}を伏せて送信")
    return Guarded(question, redact, "、".join(notes))
