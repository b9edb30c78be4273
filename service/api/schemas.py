"""API request and response models, kept apart from internal types so either can change alone."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kotae.types import Hit


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


class HitOut(BaseModel):
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
                   access_groups=list(c.access_groups))


class SearchResponse(BaseModel):
    """The hits for a query, best first."""

    query: str
    hits: list[HitOut]


class Health(BaseModel):
    """GET /healthz."""

    status: str
    documents: int
    chunks: int
    generation: int
    embedder: str
