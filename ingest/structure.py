"""Structure: find the units chunks never cross (会議録 speaker turns, PDF pages). What a document is (its
title, date and kind) is read in `describe.py`.

A 会議録 turn begins at a line `○役職（氏名君）　発言` and runs to the next such line. Stage notes 〔…〕
stay in the text but never become speakers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kotae.types import Extracted, Page, Segment, SpeakerRole

# ○ + title + （name[君]） + a blank. The title has no brackets or blanks; names may hold a full-width space.
# A blank may stand between title and bracket: the real Tokyo minutes have 「○議長 (石川良一君）」. Neither holds a
# comma or a full stop: 「○資料作成のための事務機器（パソコン、コピー機など）、消耗品等の購入費」 is a bullet of a
# manual, not a turn; nor is 「○政務活動のために必要な調査研究（出張を含む）を実施した…」, whose sentence goes on
# right after the bracket (a turn's speech starts after a blank or on the next line).
TURN_HEADER = re.compile(
    r"^[○◯〇](?P<title>[^（(\s〔、，。]{1,40})[ \u3000]*[（(](?P<name>[^）)\n、，。]{1,30}?)(?:君)?[）)]"
    r"(?:[ \u3000\t]+|$)",
    re.MULTILINE,
)

_CHAIR_TITLES = {"議長", "副議長", "仮議長", "委員長", "副委員長", "座長", "臨時議長", "年長議員"}
# Clerks of the assembly read out business; they answer no policy question. A bare 事務局長 in minutes is the
# assembly's; a commission's (選挙管理委員会事務局長, 監査事務局長, 人事委員会事務局長) is an executive answerer.
_CLERK = re.compile(
    r"^(事務局長|事務局次長)$|(議会局長|議会事務局長|議会事務局次長|議事部長|議事課長|書記)$|^議会(事務)?局"
)
_MEMBER = re.compile(r"([0-9０-９〇一二三四五六七八九十百]+番|議員)$")
_EXECUTIVE = re.compile(
    r"(知事|市長|町長|村長|区長|教育長|総監|技監|管理者|局長|部長|本部長|室長|所長|課長|理事|監|委員長|委員|会長|長)$"
)

MIN_TURNS_FOR_MINUTES = 3


def speaker_role(title: str) -> SpeakerRole:
    """Role of a speaker from the title before the brackets: chair, member, executive or other."""
    title = title.strip()
    if title in _CHAIR_TITLES:
        return "chair"
    if _MEMBER.search(title):
        return "member"
    if _CLERK.search(title):
        return "other"
    if _EXECUTIVE.search(title):
        return "executive"
    return "other"


@dataclass(frozen=True)
class Turn:
    """One speaker turn: `header_start` is where `○` stands, `start` where the speech begins."""

    header_start: int
    start: int
    end: int
    title: str
    speaker: str
    role: SpeakerRole


def find_turns(text: str) -> list[Turn]:
    """Every speaker turn in `text`, in order; each runs to the next turn or the end of the text."""
    headers = list(TURN_HEADER.finditer(text))
    turns: list[Turn] = []
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        name = re.sub(r"[\s\u3000]+", "", m.group("name"))
        title = m.group("title")
        turns.append(Turn(m.start(), m.end(), _trim_end(text, m.end(), end), title, name, speaker_role(title)))
    return turns


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def segments_for(extracted: Extracted, turns: list[Turn]) -> tuple[Segment, ...]:
    """Units for chunking: turns for minutes (plus the preamble), pages for PDFs, else the whole text.

    Minutes text in a PDF keeps page numbers: a turn that spans pages is cut at the page break.
    """
    text = extracted.text
    if turns:
        segments: list[Segment] = []
        if text[: turns[0].header_start].strip():
            segments.append(Segment(0, _trim_end(text, 0, turns[0].header_start)))
        for number, turn in enumerate(turns, start=1):
            segments.append(
                Segment(turn.start, turn.end, speaker=turn.speaker, speaker_role=turn.role, turn=number,
                        speaker_title=turn.title)
            )
        return _split_at_pages(tuple(segments), extracted.pages)
    if extracted.pages:
        return tuple(Segment(p.start, p.end, page=p.number) for p in extracted.pages if p.end > p.start)
    return (Segment(0, len(text)),)


def _split_at_pages(segments: tuple[Segment, ...], pages: tuple[Page, ...]) -> tuple[Segment, ...]:
    if not pages:
        return segments
    out: list[Segment] = []
    for seg in segments:
        for page in pages:
            s, e = max(seg.start, page.start), min(seg.end, page.end)
            if e > s:
                out.append(Segment(s, e, page.number, seg.speaker, seg.speaker_role, seg.turn, seg.speaker_title))
    return tuple(out)
