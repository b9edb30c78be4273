"""Typed records passed between stages: what a loader extracts, documents, chunks and search hits.

Offsets (`start`/`end`) always index `Extracted.text`, the document's text as extracted and before any
normalisation, so that a citation can quote and highlight the exact span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

SpeakerRole = Literal["chair", "member", "executive", "other"]
SPEAKER_ROLES: tuple[SpeakerRole, ...] = get_args(SpeakerRole)

# How an answer or a draft is written: extractive, the sources' own sentences (offline); llm, a configured model.
Composer = Literal["extractive", "llm"]
COMPOSERS: tuple[Composer, ...] = get_args(Composer)

# What a document is. minutes 会議録; ordinance 条例・規則 as in force (例規集); bill 議案; speech
# 施政方針・市政執行方針・市政報告・提案理由; plan 計画・方針・指針; manual 手引き・要領・ガイドライン・基準; faq;
# notice お知らせ・通知; other.
DocType = Literal["minutes", "ordinance", "bill", "speech", "plan", "manual", "faq", "notice", "other"]
DOC_TYPES: tuple[DocType, ...] = get_args(DocType)
RULE_DOC_TYPES: tuple[DocType, ...] = ("manual", "ordinance", "plan")  # the documents that state rules
# Names stores and `_meta.json` files used before the kinds above (read as these).
LEGACY_DOC_TYPES: dict[str, DocType] = {"guideline": "manual", "report": "other", "document": "other"}


def doc_type_of(value: str) -> DocType | None:
    """`value` as a document kind (a legacy name mapped), or None when it is none."""
    if value in DOC_TYPES:
        return value
    return LEGACY_DOC_TYPES.get(value)


def legacy_names(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """`kinds` with the legacy names that mean them: chunks written before the migration still carry those."""
    return tuple(kinds) + tuple(old for old, new in LEGACY_DOC_TYPES.items() if new in kinds)


# The fields that describe a document, read from it (ingest/describe.py), set by metadata files or corrected by an
# admin; each record's `field_sources` says where each came from.
DESCRIBED_FIELDS = ("title", "date", "doc_type", "municipality")

# Where a document's title, date, kind or municipality came from (correction: an admin's, kept in the catalogue;
# override: a metadata file).
# pdf_metadata: the file's own title property (a PDF's, a workbook's)
FieldSource = Literal["correction", "override", "text", "pdf_metadata", "file_name", "folder", "none"]


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
    `title` is what the file's own metadata calls it (HTML <title>, Word's or the PDF's title property), which
    is often a working name (「R03-01_市長冒頭発言コピペ」): the text's own title line comes first.
    `tables` are the tables whose rows chunks keep whole (sheets, CSV files, tables of Word files).
    """

    text: str
    pages: tuple[Page, ...] = ()
    title: str | None = None
    headings: tuple[tuple[int, int], ...] = ()
    needs_ocr: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()
    needs_ocr_reason: str | None = None
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its span in `Extracted.text` and the cells it covers (「B3:D3」; None outside sheets)."""

    start: int
    end: int
    cells: str | None = None


@dataclass(frozen=True)
class Table:
    """A table in `Extracted.text` [start, end): a sheet of a workbook, a CSV file or a table of a Word file.

    Chunks never split a row. `header` is the span of the header row; a chunk of later rows carries it as its
    `context`, so the values are read with the names of their columns. `sheet` is the sheet's name.
    """

    start: int
    end: int
    rows: tuple[TableRow, ...]
    header: tuple[int, int] | None = None
    sheet: str | None = None


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
    article: str | None = None  # 例規: 「第7条」, 「附則」
    law: str | None = None  # the title of the 例規 `article` is of, when the document names it (a 手引き may hold two)
    sheet: str | None = None  # a workbook's sheet
    table: Table | None = None  # the table this segment is (its rows are kept whole)


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
    municipality: str | None = None  # 自治体名 (南国市, 東京都)
    url: str | None = None  # where it was published (None for a file from a folder)
    fetched_at: str | None = None  # when a connector fetched it (ISO), None for files
    field_sources: dict[str, FieldSource] = field(default_factory=dict)  # title/date/doc_type/municipality: where from


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
    article: str | None = None  # 例規: 「第7条」, 「第3条第2項」, 「附則」
    sheet: str | None = None  # a workbook's sheet
    cells: str | None = None  # the cells of a table's rows (「A3:D5」)
    context: str | None = None  # a table's header row, for chunks of later rows (not part of `text`)
    municipality: str | None = None
    url: str | None = None  # where the document was fetched from (connectors); None for files
    fetched_at: str | None = None  # when it was fetched (ISO 8601), from the document's record

    def indexed_text(self) -> str:
        """What is embedded and tokenized: the text, after the table header it is read under (if any)."""
        return f"{self.context}\n{self.text}" if self.context else self.text


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
    article: str | None = None
    sheet: str | None = None
    cells: str | None = None
    municipality: str | None = None
    url: str | None = None
    fetched_at: str | None = None
    law: str | None = None  # the 例規 `article` is of (「南国市議会政務活動費の交付に関する規則」)


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
