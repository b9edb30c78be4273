"""Chunking: pack whole Japanese sentences into passages of about `target_chars`, never across a segment.

Segments are speaker turns, PDF pages or the whole text (see `structure.py`). Chunk offsets index the
document's extracted text, so `chunk.text == document.text[chunk.start:chunk.end]`.
"""

from __future__ import annotations

import hashlib

from kotae.jtext import sentence_spans
from kotae.types import Chunk, Document, Segment


def chunk_document(doc: Document, target_chars: int, max_chars: int) -> list[Chunk]:
    """Split `doc` into chunks of whole sentences, each at most `max_chars` long.

    A sentence longer than `max_chars` is cut into `max_chars` pieces; a short tail is merged into the chunk
    before it when the two fit in `max_chars`.
    """
    if not 0 < target_chars <= max_chars:
        raise ValueError(f"need 0 < target_chars <= max_chars, got {target_chars} and {max_chars}")
    chunks: list[Chunk] = []
    for segment in doc.segments:
        for start, end in _pack(doc.text, segment, target_chars, max_chars):
            chunks.append(_make_chunk(doc, segment, start, end, len(chunks)))
    return chunks


def _pack(text: str, segment: Segment, target: int, limit: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text, segment.start, segment.end):
        while e - s > limit:  # an over-long "sentence" (tables, lists without 。)
            pieces.append((s, s + limit))
            s += limit
        pieces.append((s, e))
    spans: list[tuple[int, int]] = []
    for s, e in pieces:
        if spans and e - spans[-1][0] <= target:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    if len(spans) >= 2 and spans[-1][1] - spans[-1][0] < target // 4 and spans[-1][1] - spans[-2][0] <= limit:
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


def chunk_id(version: str, start: int, end: int) -> str:
    """A stable id from the document version and the span: the same input always gives the same id."""
    return hashlib.sha256(f"{version}:{start}:{end}".encode()).hexdigest()[:24]


def _make_chunk(doc: Document, segment: Segment, start: int, end: int, ordinal: int) -> Chunk:
    return Chunk(
        chunk_id=chunk_id(doc.version, start, end),
        source=doc.source,
        start=start,
        end=end,
        text=doc.text[start:end],
        ordinal=ordinal,
        doc_type=doc.doc_type,
        title=doc.title,
        date=doc.date,
        page=segment.page,
        speaker=segment.speaker,
        speaker_role=segment.speaker_role,
        speaker_title=segment.speaker_title,
        turn=segment.turn,
        access_groups=doc.access_groups,
        article=segment.article,
        sheet=segment.sheet,
        municipality=doc.municipality,
        url=doc.url,
    )
