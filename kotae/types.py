"""Typed records passed between stages: what a loader extracts, documents, chunks and search hits.

Offsets (`start`/`end`) always index `Extracted.text`, the document's text as extracted and before any
normalisation, so that a citation can quote and highlight the exact span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SpeakerRole = Literal["chair", "member", "executive", "other"]
DocType = Literal["minutes", "ordinance", "guideline", "speech", "report", "faq", "document"]


@dataclass(frozen=True)
class Page:
    """One PDF page: its 1-based number and where its text sits in `Extracted.text`."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Extracted:
    """What a loader read from one file.

    `pages` is empty for formats without pages. `needs_ocr` lists pages that had no text layer and were not
    read (OCR off or not installed, past the file's OCR budget, or OCR failed), `needs_ocr_reason` says why in
    one line; `ocr_pages` lists pages whose text came from OCR.
    `headings` are (start, end) spans of headings in `text` (HTML h1-h6, Word heading styles).
    """

    text: str
    pages: tuple[Page, ...] = ()
    title: str | None = None
    headings: tuple[tuple[int, int], ...] = ()
    needs_ocr: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    needs_ocr_reason: str | None = None


@dataclass(frozen=True)
class Segment:
    """A unit that chunks never cross: a speaker turn of minutes, a page, or the whole text.

    For a minutes turn, `start` is where the turn's speech begins (after the `○役職（氏名君）` header),
    `speaker` is the name, `speaker_title` the title as written (知事, 福祉保健局長) and `speaker_role` one of
    chair / member / executive / other. `turn` numbers the turns of the document from 1.
    """

    start: int
    end: int
    page: int | None = None
    speaker: str | None = None
    speaker_role: SpeakerRole | None = None
    turn: int | None = None
    speaker_title: str | None = None


@dataclass(frozen=True)
class Document:
    """A file ready for chunking: its extracted text, structure and catalogue fields.

    `content_hash` is the SHA-256 of the file's bytes (finds identical files); `version` also covers the
    metadata overrides and chunking settings, so any change to what gets stored changes it.
    """

    source: str
    text: str
    content_hash: str
    version: str
    doc_type: str
    title: str
    date: str | None
    segments: tuple[Segment, ...]
    access_groups: tuple[str, ...] = ("everyone",)
    pages: tuple[Page, ...] = ()
    needs_ocr: tuple[int, ...] = ()
    needs_ocr_reason: str | None = None  # why the `needs_ocr` pages were not read (Extracted.needs_ocr_reason)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage; `text == document.text[start:end]`."""

    chunk_id: str
    source: str
    start: int
    end: int
    text: str
    ordinal: int
    doc_type: str
    title: str
    date: str | None
    page: int | None = None
    speaker: str | None = None
    speaker_role: str | None = None
    speaker_title: str | None = None
    turn: int | None = None
    access_groups: tuple[str, ...] = ("everyone",)


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a search with its rank (1-based) and fused score."""

    chunk: Chunk
    rank: int
    score: float
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Citation:
    """The passage one or more answer sentences rest on.

    `start`/`end` index the document's extracted text like a chunk's, and `quote == text[start:end]`: the exact
    source sentence(s), inside chunk `chunk_id`. `n` is the number of the `[n]` marks that point here.
    """

    n: int
    chunk_id: str
    source: str
    title: str
    doc_type: str
    date: str | None
    page: int | None
    speaker: str | None
    speaker_title: str | None
    speaker_role: str | None
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer or draft, with the numbers of the citations it rests on (empty for set
    phrases such as a 答弁's opening line)."""

    text: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class Fact:
    """What an answer states that was asked (an amount, a date, 「入力してはならない」): `text` is the document
    text at [start, end), inside the quote of citation `citation`. `type` is the question's answer type."""

    text: str
    type: str
    citation: int
    start: int
    end: int


@dataclass(frozen=True)
class Unsupported:
    """A sentence a generator wrote that the cited passages do not support, and why it was removed."""

    sentence: str
    reason: str


@dataclass(frozen=True)
class Answer:
    """A composed answer: sentences each ending with citation marks, or an honest refusal.

    `grounded` is False when the passages do not support an answer; `text` then says so, `reason` says why
    (`no_topic`: nothing on the question's topic; `no_fact_of_type`: the topic is there but not the kind of fact
    asked; `constraint_unmet`: only for another year or municipality) and `closest` lists the nearest passages
    found. `facts` are the asked facts the answer states. `model` names the generator, None for the extractive
    composer.
    """

    text: str
    sentences: tuple[Sentence, ...]
    citations: tuple[Citation, ...]
    grounded: bool
    unsupported: tuple[Unsupported, ...] = ()
    closest: tuple[Citation, ...] = ()
    model: str | None = None
    guard: str = ""  # what the personal-information guard did before text went to a model (「氏名 1件を伏せて送信」)
    facts: tuple[Fact, ...] = ()
    reason: str = ""  # why it is not grounded ("" when it is)
