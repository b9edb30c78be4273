"""Chunking on the real Tokyo minutes, a PDF with pages and small hand-made texts."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.documents import build_document, content_hash, document_version
from ingest.meta import Overrides
from ingest.structure import Turn, find_turns
from kotae.types import Chunk, Document

TARGET, MAX = 400, 800
REPO = Path(__file__).resolve().parent.parent
DX_PLAN = REPO / "corpus" / "plans" / "DX推進計画.pdf"


def _build(path: Path, chunking: dict[str, object] | None = None) -> Document:
    data = path.read_bytes()
    settings: dict[str, object] = {"target": TARGET, "max": MAX} if chunking is None else chunking
    version = document_version(content_hash(data), Overrides(), settings)
    return build_document(path, path.name, content_hash(data), version, Overrides())


@dataclass(frozen=True)
class Minutes:
    path: Path
    text: str  # the file decoded as UTF-8, independently of the loader
    doc: Document
    turns: list[Turn]
    chunks: list[Chunk]


@pytest.fixture(scope="module")
def minutes(shared_data: Path) -> list[Minutes]:
    """Every real minutes file, built and chunked once for the module."""
    out = []
    for path in sorted((shared_data / "minutes/tokyo-2020").glob("*.txt")):
        doc = _build(path)
        out.append(
            Minutes(
                path, path.read_bytes().decode("utf-8"), doc, find_turns(doc.text), chunk_document(doc, TARGET, MAX)
            )
        )
    assert len(out) == 10
    return out


def _turn_of(turns: list[Turn], chunk: Chunk) -> Turn | None:
    """The turn whose speech holds the chunk's start, or None before the first turn."""
    for turn in turns:
        if turn.header_start <= chunk.start < turn.end:
            return turn
    return None


# ---------------------------------------------------------------- real minutes


def test_chunk_text_is_the_file_text_at_its_offsets(minutes: list[Minutes]) -> None:
    for m in minutes:
        assert m.doc.text == m.text, m.path.name
        assert m.chunks, m.path.name
        for c in m.chunks:
            assert c.text == m.text[c.start : c.end], (m.path.name, c.start)
            assert c.source == m.path.name and c.doc_type == "minutes" and c.date == m.path.name[:10]


def test_no_chunk_is_longer_than_max(minutes: list[Minutes]) -> None:
    for m in minutes:
        assert max(len(c.text) for c in m.chunks) <= MAX, m.path.name


def test_no_chunk_crosses_a_turn_boundary(minutes: list[Minutes]) -> None:
    for m in minutes:
        assert m.turns
        for c in m.chunks:
            turn = _turn_of(m.turns, c)
            if turn is None:  # the preamble (title, date, attendance list) ends before the first header
                assert c.end <= m.turns[0].header_start, (m.path.name, c.start)
            else:
                assert turn.start <= c.start and c.end <= turn.end, (m.path.name, c.start)
            # Independently of find_turns: no chunk holds a ○ header line, its own or the next one.
            assert not c.text.startswith("○") and "\n○" not in c.text, (m.path.name, c.start)


def test_chunks_cover_every_speech(minutes: list[Minutes]) -> None:
    """Every non-blank character is in a chunk, except the ○役職（氏名君） headers themselves."""
    for m in minutes:
        covered = bytearray(len(m.text))
        for c in m.chunks:
            covered[c.start : c.end] = b"\x01" * (c.end - c.start)
        for t in m.turns:
            covered[t.header_start : t.start] = b"\x01" * (t.start - t.header_start)
        missing = [i for i, ch in enumerate(m.text) if not covered[i] and not ch.isspace()]
        assert not missing, (m.path.name, m.text[missing[0] : missing[0] + 40])


def test_chunks_carry_their_turn_speaker_and_role(minutes: list[Minutes]) -> None:
    executive_chunks = 0
    for m in minutes:
        numbers = {t.header_start: n for n, t in enumerate(m.turns, start=1)}
        for c in m.chunks:
            turn = _turn_of(m.turns, c)
            if turn is None:
                assert c.speaker is None and c.speaker_role is None
                continue
            assert (c.speaker, c.speaker_role, c.speaker_title) == (turn.speaker, turn.role, turn.title)
            assert c.turn == numbers[turn.header_start]
            if turn.role == "executive":
                executive_chunks += 1
                assert c.speaker_role == "executive"
    assert executive_chunks > 500  # the answers are most of the minutes


def test_chunk_ids_are_stable_and_follow_the_version(minutes: list[Minutes]) -> None:
    m = minutes[1]
    again = chunk_document(_build(m.path), TARGET, MAX)
    assert [c.chunk_id for c in again] == [c.chunk_id for c in m.chunks]
    assert len({c.chunk_id for c in m.chunks}) == len(m.chunks)
    other = _build(m.path, {"target": TARGET, "max": MAX, "changed": True})
    assert other.version != m.doc.version
    other_chunks = chunk_document(other, TARGET, MAX)
    assert [(c.start, c.end) for c in other_chunks] == [(c.start, c.end) for c in m.chunks]
    assert not {c.chunk_id for c in other_chunks} & {c.chunk_id for c in m.chunks}


def test_chunks_of_an_answer_are_ordered_and_disjoint(minutes: list[Minutes]) -> None:
    for m in minutes:
        assert [c.ordinal for c in m.chunks] == list(range(len(m.chunks)))
        for a, b in itertools.pairwise(m.chunks):
            assert a.end <= b.start


# ---------------------------------------------------------------- hand-made texts


def _write(tmp_path: Path, text: str) -> Document:
    path = tmp_path / "note.txt"
    path.write_text(text, encoding="utf-8")
    return _build(path)


def test_long_sentence_without_terminator_is_cut_at_max(tmp_path: Path) -> None:
    text = "表" * (2 * MAX + 150)  # no 。 and no line break: one "sentence"
    doc = _write(tmp_path, text)
    chunks = chunk_document(doc, TARGET, MAX)
    assert [(c.start, c.end) for c in chunks] == [(0, MAX), (MAX, 2 * MAX), (2 * MAX, 2 * MAX + 150)]
    assert "".join(c.text for c in chunks) == text


def test_sentences_are_packed_up_to_the_target(tmp_path: Path) -> None:
    sentence = "市は生成ＡＩの利用ルールを定め、職員に研修を行います。"  # 27 characters
    text = sentence * 40
    doc = _write(tmp_path, text)
    chunks = chunk_document(doc, TARGET, MAX)
    per_chunk = TARGET // len(sentence)
    assert len(chunks) == -(-40 // per_chunk)
    for c in chunks:
        assert c.text.endswith("。")  # whole sentences only
        assert len(c.text) % len(sentence) == 0
    assert all(len(c.text) == per_chunk * len(sentence) for c in chunks[:-1])


def test_tiny_tail_merges_into_the_chunk_before(tmp_path: Path) -> None:
    head = "あ" * (TARGET - 10) + "。"
    tail = "い" * 30 + "。"  # head + tail exceed the target, the tail is under a quarter of it
    doc = _write(tmp_path, head + tail)
    chunks = chunk_document(doc, TARGET, MAX)
    assert [(c.start, c.end) for c in chunks] == [(0, len(head) + len(tail))]


def test_a_tail_of_a_quarter_target_stays_apart(tmp_path: Path) -> None:
    head = "あ" * (TARGET - 10) + "。"
    tail = "い" * (TARGET // 4) + "。"
    doc = _write(tmp_path, head + tail)
    chunks = chunk_document(doc, TARGET, MAX)
    assert [c.text for c in chunks] == [head, tail]


def test_a_tiny_tail_never_makes_a_chunk_longer_than_max(tmp_path: Path) -> None:
    text = "表" * (2 * MAX + 10)  # pieces MAX, MAX, 10: merging the 10 would exceed MAX
    chunks = chunk_document(_write(tmp_path, text), TARGET, MAX)
    assert [len(c.text) for c in chunks] == [MAX, MAX, 10]


def test_bad_sizes_are_rejected(tmp_path: Path) -> None:
    doc = _write(tmp_path, "本文です。")
    with pytest.raises(ValueError):
        chunk_document(doc, 900, 800)
    with pytest.raises(ValueError):
        chunk_document(doc, 0, 800)


# ---------------------------------------------------------------- PDF with pages


def test_pdf_chunks_carry_pages_and_never_cross_them() -> None:
    doc = _build(DX_PLAN)
    assert len(doc.pages) >= 2
    chunks = chunk_document(doc, TARGET, MAX)
    pages = {p.number: p for p in doc.pages}
    for c in chunks:
        assert c.page in pages
        page = pages[c.page]
        assert page.start <= c.start and c.end <= page.end
        assert c.text == doc.text[c.start : c.end]
        assert len(c.text) <= MAX
    # Every page with text has chunks, in page order.
    with_text = [p.number for p in doc.pages if doc.text[p.start : p.end].strip()]
    assert sorted({c.page for c in chunks if c.page is not None}) == with_text
    assert [c.page for c in chunks] == sorted(c.page for c in chunks if c.page is not None)
    assert any(re.search("生成ＡＩ", c.text) for c in chunks)
