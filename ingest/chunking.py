"""Chunking: pack whole Japanese sentences into passages of about `target_chars`, never across a segment.

Segments are speaker turns, 例規 articles, tables, PDF pages or the whole text (see `structure.py`). Chunk
offsets index the document's extracted text, so `chunk.text == document.text[chunk.start:chunk.end]`.

A table's rows are packed whole (a row longer than `max_chars` alone is cut by sentences); a chunk without the
header row is read under it (`Chunk.context`), and carries the cells it covers (「A3:D5」). An article's chunk is
read under the 例規's title and its article (「かつらぎ町駐車場等設置条例 第7条」) and labelled with the narrowest
条・項・号 it lies in.
"""

from __future__ import annotations

import hashlib

from ingest.structure import article_label
from kotae.articles import SUPPLEMENT
from kotae.jtext import sentence_spans
from kotae.locations import article_context, cell_range
from kotae.types import Chunk, Document, Segment, Table, TableRow


def chunk_document(doc: Document, target_chars: int, max_chars: int) -> list[Chunk]:
    """Split `doc` into chunks of whole sentences, each at most `max_chars` long.

    A sentence longer than `max_chars` is cut into `max_chars` pieces; a short tail is merged into the chunk
    before it when the two fit in `max_chars`.
    """
    if not 0 < target_chars <= max_chars:
        raise ValueError(f"need 0 < target_chars <= max_chars, got {target_chars} and {max_chars}")
    chunks: list[Chunk] = []
    for segment in doc.segments:
        if segment.table is not None and segment.table.rows:
            for start, end, rows in _pack_rows(doc.text, segment, segment.table, target_chars, max_chars):
                chunks.append(_make_chunk(doc, segment, start, end, len(chunks), rows))
            continue
        for start, end in _pack(doc.text, segment, target_chars, max_chars):
            chunks.append(_make_chunk(doc, segment, start, end, len(chunks)))
    return chunks


def _pack_rows(text: str, segment: Segment, table: Table, target: int,
               limit: int) -> list[tuple[int, int, tuple[TableRow, ...]]]:
    """Whole rows packed to about `target` characters (the first chunk also holds what stands before the first
    row: the sheet's name); a row longer than `limit` is cut by sentences on its own."""
    groups: list[tuple[int, list[TableRow]]] = []  # (start, rows)
    for row in table.rows:
        if row.end - row.start > limit:
            groups.append((row.start, [row]))
            continue
        if groups:
            start, rows = groups[-1]
            long_row = rows[-1].end - rows[-1].start > limit
            if not long_row and row.end - start <= target:
                rows.append(row)
                continue
        groups.append((segment.start if not groups else row.start, [row]))
    out: list[tuple[int, int, tuple[TableRow, ...]]] = []
    for start, rows in groups:
        if len(rows) == 1 and rows[0].end - rows[0].start > limit:
            out.extend((s, e, (rows[0],)) for s, e in _pack(text, Segment(rows[0].start, rows[0].end), target, limit))
        else:
            out.append((_skip_blanks(text, start, rows[-1].end), rows[-1].end, tuple(rows)))
    return out


def _skip_blanks(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


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


def _make_chunk(doc: Document, segment: Segment, start: int, end: int, ordinal: int,
                rows: tuple[TableRow, ...] = ()) -> Chunk:
    article = article_label(doc.text, segment, start, end)
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
        article=article,
        sheet=segment.sheet,
        cells=cell_range(r.cells for r in rows),
        context=_context(doc, segment, start, article),
        municipality=doc.municipality,
        url=doc.url,
    )


def _context(doc: Document, segment: Segment, start: int, article: str | None) -> str | None:
    """What a chunk is read under: a 例規's title and article, or the header row of a table with its sheet's name
    (for a Word table's first chunk, which holds its header, nothing)."""
    if article is not None:
        about = "（施行期日・改正の附則）" if article.startswith(SUPPLEMENT) else ""
        return article_context(segment.law or doc.title, article, about)
    if segment.law is not None:  # a 例規集's trailer
        return f"{segment.law} 沿革（制定・改正の経過）"
    table = segment.table
    if table is None or table.header is None:
        return None
    if start <= table.header[0] and not any(r.cells for r in table.rows):
        return None
    header = doc.text[table.header[0]:table.header[1]]
    return f"{table.sheet}\n{header}" if table.sheet else header
