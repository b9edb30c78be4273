"""Small passages for the reader's extraction tests: a hit over one chunk of text, and extraction with the corpus
store's own word weights (IDF), as `Answerer.ask` has them."""

from __future__ import annotations

from kotae.types import Chunk, Hit
from service.answer import Answerer
from service.reader.analysis import analyse
from service.reader.extract import Extraction, extract


def one_hit(text: str, source: str = "a.txt", rank: int = 1, ordinal: int = 0, score: float = 1.0,
        title: str = "文書", doc_type: str = "plan", date: str | None = "2024-01-01", speaker: str | None = None,
        speaker_title: str | None = None, speaker_role: str | None = None) -> Hit:
    """A hit whose chunk is `text` alone, at offset 0 of document `source`."""
    chunk = Chunk(chunk_id=f"{source}#{ordinal}", source=source, start=0, end=len(text), text=text, ordinal=ordinal,
                  doc_type=doc_type, title=title, date=date, speaker=speaker, speaker_title=speaker_title,
                  speaker_role=speaker_role)
    return Hit(chunk, rank, score)


def extract_for(question: str, hits: list[Hit], answerer: Answerer,
                place_of: dict[str, str] | None = None) -> Extraction:
    """The extraction of `hits` for `question` (`place_of`: source -> municipality)."""
    terms = answerer.searcher.query(question).terms
    return extract(analyse(question), hits, terms, answerer.searcher.tokenizer, (place_of or {}).get)
