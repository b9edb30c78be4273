"""API request and response models, kept apart from internal types so either can change alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kotae.locations import law_of
from kotae.types import Answer, Chunk, Citation, Composer, Hit
from service.draft import Draft
from service.drafting.consistency import DifferenceKind, PastStatement, describe_difference
from service.drafting.notice import Notice
from service.drafting.stance import Stance, check_stance

Task = Literal["research", "writing", "draft", "counter"]


class SearchRequest(BaseModel):
    """POST /api/search."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=2000, description="the question or keywords, in Japanese")

    @field_validator("query")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if not any(ch.isalnum() for ch in value):
            raise ValueError("query has no words to search for")
        return value
    k: int = Field(default=10, ge=1, le=100, description="number of hits")
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="doc_type, speaker_role, speaker (lists); source_prefix, date_from, date_to (ISO or 和暦)",
        examples=[{"speaker_role": ["executive"], "date_from": "2020-01-01"}],
    )


class WhereFields(BaseModel):
    """Where a passage stands and where its document came from, beside `source` and `page` (hits, citations and
    passages share them)."""

    article: str | None = Field(default=None, description="例規: 「第7条」, 「第3条第2項」, 「附則」")
    sheet: str | None = Field(default=None, description="a workbook's sheet")
    cells: str | None = Field(default=None, description="the cells of a table's rows: 「A3:D5」")
    municipality: str | None = Field(default=None, description="the document's municipality (自治体名)")
    url: str | None = Field(default=None, description="where the document was fetched from; null for files")
    fetched_at: str | None = Field(default=None, description="when it was fetched (ISO 8601); null for files")
    law: str | None = Field(default=None, description="the 例規 `article` is of, when a document holds several "
                                                      "(a 手引き with its 条例 and 規則)")

    @staticmethod
    def of(c: Chunk | Citation) -> dict[str, str | None]:
        """These fields of a chunk or a citation."""
        law = c.law if isinstance(c, Citation) else law_of(c.context, c.article)
        return {"article": c.article, "sheet": c.sheet, "cells": c.cells, "municipality": c.municipality,
                "url": c.url, "fetched_at": c.fetched_at, "law": law}


class HitOut(WhereFields):
    """One hit: the chunk contract fields plus chunk_id, rank and score."""

    chunk_id: str
    rank: int
    score: float
    source: str
    start: int
    end: int
    text: str
    page: int | None
    doc_type: str
    title: str
    date: str | None
    speaker: str | None
    speaker_role: str | None
    speaker_title: str | None
    access_groups: list[str]

    @classmethod
    def from_hit(cls, hit: Hit) -> HitOut:
        """Copy the public fields of a hit."""
        c = hit.chunk
        return cls(chunk_id=c.chunk_id, rank=hit.rank, score=round(hit.score, 6), source=c.source, start=c.start,
                   end=c.end, text=c.text, page=c.page, doc_type=c.doc_type, title=c.title, date=c.date,
                   speaker=c.speaker, speaker_role=c.speaker_role, speaker_title=c.speaker_title,
                   access_groups=list(c.access_groups), **WhereFields.of(c))


class SearchResponse(BaseModel):
    """The hits for a query, best first."""

    query: str
    hits: list[HitOut]


class ComposeOptions(BaseModel):
    """What asking, drafting and drafting from a 通告 share: filters, which composer (and model), and the task."""

    model_config = ConfigDict(extra="forbid")
    filters: dict[str, Any] = Field(default_factory=dict, description="as for /api/search")
    composer: Composer = Field(
        default="extractive", description="extractive: the sources' own sentences (offline); llm: a configured model")
    model: str | None = Field(default=None, max_length=200,
                              description="for composer=llm: a configured model name (default: the first one)")
    task: Task | None = Field(default=None, description="what the user is doing, for the usage report")


class ComposeRequest(ComposeOptions):
    """What asking and drafting share: the question, and the options."""

    question: str = Field(min_length=1, max_length=2000, description="the question, in Japanese",
                          examples=["生成AIに個人情報を入力してよいか"])

    @field_validator("question")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if not any(ch.isalnum() for ch in value):
            raise ValueError("question has no words")
        return value


class AskRequest(ComposeRequest):
    """POST /api/ask."""


class CitationOut(WhereFields):
    """Where a statement comes from: `quote` is the document text at [start, end)."""

    n: int
    chunk_id: str
    source: str
    title: str
    doc_type: str
    page: int | None
    date: str | None
    speaker: str | None
    speaker_title: str | None
    speaker_role: str | None
    start: int
    end: int
    quote: str

    @classmethod
    def from_citation(cls, c: Citation) -> CitationOut:
        """Copy a citation."""
        return cls(n=c.n, chunk_id=c.chunk_id, source=c.source, title=c.title, doc_type=c.doc_type, page=c.page,
                   date=c.date, speaker=c.speaker, speaker_title=c.speaker_title, speaker_role=c.speaker_role,
                   start=c.start, end=c.end, quote=c.quote, **WhereFields.of(c))


class DifferenceOut(BaseModel):
    """Where the draft's 今後の方針 says otherwise than an earlier answer: what that answer said and what the
    draft says instead, both as written."""

    kind: DifferenceKind = Field(description="figure (a number of the same thing), year (a target year), "
                                             "commitment (実施 against 検討)")
    past: str
    draft: str
    text: str = Field(description="the difference as the drafter reads it: 「数値が異なります（これまで「3,000人」、"
                                  "本案「2,000人」）」")


class PastAnswerOut(CitationOut):
    """An earlier executive answer on the draft's topic (its date and speaker), and where the draft differs."""

    differences: list[DifferenceOut] = Field(default_factory=list, description="empty: the draft agrees with it")

    @classmethod
    def from_statement(cls, p: PastStatement) -> PastAnswerOut:
        """Copy a past statement."""
        return cls(**CitationOut.from_citation(p.citation).model_dump(),
                   differences=[DifferenceOut(kind=d.kind, past=d.past, draft=d.draft, text=describe_difference(d))
                                for d in p.differences])


class SentenceOut(BaseModel):
    """One sentence of the answer and the citation numbers it rests on."""

    text: str
    citations: list[int]


class FactOut(BaseModel):
    """An asked fact the answer states: `text` is the document text at [start, end), inside citation `citation`."""

    text: str
    type: str = Field(description="the question's answer type: amount, date, count, person, place, permission, reason")
    citation: int
    start: int
    end: int


class UnsupportedOut(BaseModel):
    """A generated sentence removed because its cited passages do not support it."""

    sentence: str
    reason: str


class AskResponse(BaseModel):
    """A cited answer, or `grounded: false` with 「資料からは回答できません」 and the closest sources."""

    question: str
    answer: str
    grounded: bool
    sentences: list[SentenceOut]
    citations: list[CitationOut]
    unsupported: list[UnsupportedOut]
    closest: list[CitationOut]
    model: str | None
    guard: str | None = Field(default=None, description="what the personal-information guard did (llm composer)")
    facts: list[FactOut] = Field(default_factory=list, description="the asked facts the answer states")
    reason: str | None = Field(default=None, description="why it is not grounded: no_topic, no_fact_of_type, "
                                                         "constraint_unmet")

    @classmethod
    def from_answer(cls, question: str, a: Answer) -> AskResponse:
        """Copy an answer."""
        return cls(question=question, answer=a.text, grounded=a.grounded,
                   sentences=[SentenceOut(text=s.text, citations=list(s.citations)) for s in a.sentences],
                   citations=[CitationOut.from_citation(c) for c in a.citations],
                   unsupported=[UnsupportedOut(sentence=u.sentence, reason=u.reason) for u in a.unsupported],
                   closest=[CitationOut.from_citation(c) for c in a.closest], model=a.model, guard=a.guard or None,
                   facts=[FactOut(text=f.text, type=f.type, citation=f.citation, start=f.start, end=f.end)
                          for f in a.facts],
                   reason=a.reason or None)


class DraftRequest(ComposeRequest):
    """POST /api/draft and /api/draft/docx: `question` is the member's question (通告の要旨)."""

    questioner: str | None = Field(default=None, max_length=100, description="the member's name, for the opening")
    stance: Stance = Field(default="検討", description="the line the answer takes")
    answerer: str | None = Field(default=None, max_length=20, description="the title the draft speaks as (市長, "
                                 "教育長, 福祉部長); default: the role that answered the topic most recently")


class NoticeRequest(ComposeOptions):
    """POST /api/draft/notice and /api/draft/notice/docx: a 一般質問通告書 as text; each numbered item is drafted."""

    notice: str = Field(min_length=1, max_length=20000, description="the 通告書's text (pasted, or read from a file)")
    stance: Stance = Field(default="検討", description="the line every answer takes")
    answerer: str | None = Field(default=None, max_length=20, description="as for /api/draft; default: the one "
                                 "answerer the notice names, else the role that answered each topic last")


class DraftSectionOut(BaseModel):
    """現状, これまでの取組 or 今後の方針, with its cited sentences."""

    heading: str
    sentences: list[SentenceOut]


class DraftResponse(BaseModel):
    """A 答弁案: the text with citation marks, its sections, citations and earlier answers on the topic."""

    question: str
    draft: str
    grounded: bool
    opening: str
    sections: list[DraftSectionOut]
    closing: str
    citations: list[CitationOut]
    past_answers: list[PastAnswerOut] = Field(description="earlier answers on the topic, newest first, each marked "
                                                          "where the draft's 今後の方針 differs from it")
    followups: list[CitationOut] = Field(default_factory=list, description="再質問 to expect: what members asked "
                                         "next after those answers in the same sitting")
    unsupported: list[UnsupportedOut]
    model: str | None
    guard: str | None = None
    answerer: str = Field(default="", description="the title the draft speaks as; empty when no source names one")
    stance: Stance = "検討"

    @classmethod
    def from_draft(cls, d: Draft) -> DraftResponse:
        """Copy a draft."""
        return cls(question=d.question, draft=d.text, grounded=d.grounded, opening=d.opening, closing=d.closing,
                   sections=[DraftSectionOut(heading=s.heading, sentences=[
                       SentenceOut(text=x.text, citations=list(x.citations)) for x in s.sentences])
                       for s in d.sections],
                   citations=[CitationOut.from_citation(c) for c in d.citations],
                   past_answers=[PastAnswerOut.from_statement(p) for p in d.past_answers],
                   followups=[CitationOut.from_citation(c) for c in d.followups],
                   unsupported=[UnsupportedOut(sentence=u.sentence, reason=u.reason) for u in d.unsupported],
                   model=d.model, guard=d.guard or None, answerer=d.answerer, stance=check_stance(d.stance))


class NoticeText(BaseModel):
    """POST /api/draft/notice/read: the text of an uploaded 通告書, to check and send as `notice`."""

    notice: str
    filename: str


class NoticeItemOut(BaseModel):
    """One numbered item of the 通告 and its draft."""

    number: str
    title: str
    points: list[str]
    draft: DraftResponse


class NoticeResponse(BaseModel):
    """POST /api/draft/notice: the member, the answerers the notice names, and a draft per item, in order."""

    questioner: str
    answerers: list[str]
    items: list[NoticeItemOut]
    drafts: list[DraftResponse] = Field(description="the items' drafts, in order (the same as items[].draft)")

    @classmethod
    def from_notice(cls, notice: Notice, drafts: Sequence[Draft]) -> NoticeResponse:
        """Copy a notice and its items' drafts."""
        out = [DraftResponse.from_draft(d) for d in drafts]
        return cls(questioner=notice.questioner, answerers=list(notice.answerers), drafts=out,
                   items=[NoticeItemOut(number=i.number, title=i.title, points=list(i.points), draft=d)
                          for i, d in zip(notice.items, out, strict=True)])


class CorrectionOut(BaseModel):
    """An admin's correction of one field of a document."""

    value: str
    by: str
    at: str


class DocumentOut(BaseModel):
    """A document of the index (or a file that failed) and its status."""

    source: str
    title: str
    doc_type: str | None
    date: str | None
    chunks: int
    status: Literal["indexed", "failed", "needs_ocr"]
    reason: str | None
    reason_ja: str | None = Field(description="`reason` in Japanese, for the admin page (the English stays in reason)")
    needs_ocr_pages: list[int]
    root: str | None = Field(description="the server folder the document was read from; admins only (null for staff)")
    indexed_at: str | None
    municipality: str | None = Field(default=None, description="the municipality (自治体名) the document is of")
    field_sources: dict[str, str] = Field(
        default_factory=dict, description="where title, date, doc_type and municipality came from: correction (an "
                                          "admin's), override (a metadata file), text, pdf_metadata, file_name, none")
    url: str | None = Field(default=None, description="where the document was published, when known")
    fetched_at: str | None = Field(default=None, description="when it was fetched from `url`, when known")
    corrections: dict[str, CorrectionOut] | None = Field(
        default=None, description="the fields an admin corrected, with the value, who and when; admins only "
                                  "(null for staff)")


class FieldsRequest(BaseModel):
    """PUT /api/admin/documents/{source}/fields: the fields to correct. A field left out stays as it is; null or
    "" drops its correction (the metadata files or the document itself say it again)."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=1000, description="the title (at most 200 characters)")
    date: str | None = Field(default=None, max_length=100, description="the document's date, yyyy-mm-dd")
    doc_type: str | None = Field(default=None, max_length=100,
                                 description="minutes, ordinance, bill, speech, plan, manual, faq, notice or other")
    municipality: str | None = Field(default=None, max_length=1000,
                                     description="the municipality (自治体名; at most 50 characters)")


class DocumentsResponse(BaseModel):
    """GET /api/documents."""

    documents: list[DocumentOut]
    doc_types: list[str]


class PassageOut(WhereFields):
    """A whole passage: a citation's span inside it is text[c.start - start : c.end - start]."""

    chunk_id: str
    source: str
    title: str
    doc_type: str
    page: int | None
    date: str | None
    speaker: str | None
    speaker_title: str | None
    speaker_role: str | None
    start: int
    end: int
    text: str
    file_url: str | None


class FolderRequest(BaseModel):
    """POST /api/admin/folders."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=4096, description="a folder on the server, full path")


class FoldersResponse(BaseModel):
    """The folders of the store and the uploads folder."""

    folders: list[str]
    uploads: str


class RefusedUpload(BaseModel):
    """An uploaded file that was not saved, and why."""

    name: str
    reason: str


class UploadResponse(BaseModel):
    """POST /api/admin/upload: what was saved into the uploads folder (indexed by the next job)."""

    saved: list[str]
    refused: list[RefusedUpload]


class JobRequest(BaseModel):
    """POST /api/admin/jobs: what to run (no body: re-ingest every folder of the store and its uploads)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["ingest", "remove", "repair"] = "ingest"
    paths: list[str] | None = Field(default=None, max_length=1000,
                                    description="ingest: files or folders on the server, full paths (default: "
                                                "every folder of the store and its uploads)")
    sources: list[str] = Field(default_factory=list, max_length=10_000, description="remove: indexed sources")
    force: bool = Field(default=False, description="repair: rebuild the vectors even when their check passes")


class JobOut(BaseModel):
    """An ingestion, removal, repair or correction job; poll GET /api/admin/jobs/{id} while `status` is running."""

    id: str
    kind: Literal["ingest", "remove", "repair", "correct"]
    status: Literal["running", "done", "failed", "cancelled"]
    files_total: int
    files_done: int
    chunks: int
    eta_s: float | None
    current: str | None
    started_at: str
    finished_at: str | None
    summary: dict[str, Any] | None
    error: str | None


class ModelOut(BaseModel):
    """A language model staff can pick: its name and what it is good for."""

    name: str
    label: str


class ModelsResponse(BaseModel):
    """GET /api/models: empty when only the offline extractive composer is available."""

    models: list[ModelOut]
    default: str | None


class Health(BaseModel):
    """GET /healthz."""

    status: str
    documents: int | None  # of those the caller may see; None for anonymous callers
    chunks: int | None
    generation: int
    embedder: str
