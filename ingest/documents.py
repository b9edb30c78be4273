"""Building a `Document`: load the file, find its structure, apply metadata overrides."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ingest.loaders import load_file
from ingest.meta import Overrides
from ingest.structure import find_turns, guess_date, guess_doc_type, guess_title, segments_for
from kotae.types import Document

# Bump when loading, structure or chunking changes what gets stored, so every document is redone once.
# 2: PDF page numbers and running headers dropped, spaced lines repaired; sentences whole around brackets.
# 3: a bullet 「○…（…、…）」 is no speaker turn (a manual read as minutes lost every sentence to a fake speaker).
PIPELINE_VERSION = "3"


def content_hash(data: bytes) -> str:
    """SHA-256 of a file's bytes: equal for identical files under any name."""
    return hashlib.sha256(data).hexdigest()


def document_version(content: str, overrides: Overrides, chunking: dict[str, object]) -> str:
    """A hash of everything that decides what gets stored for a file."""
    basis = {
        "content": content,
        "overrides": [overrides.title, overrides.date, overrides.doc_type, overrides.access_groups],
        "chunking": chunking,
        "pipeline": PIPELINE_VERSION,
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def build_document(path: Path, source: str, content: str, version: str, overrides: Overrides) -> Document:
    """Load `path` and describe it; raises `LoadError` when it cannot be read."""
    extracted = load_file(path)
    turns = find_turns(extracted.text)
    title = overrides.title or guess_title(extracted, path.stem)
    return Document(
        source=source,
        text=extracted.text,
        content_hash=content,
        version=version,
        doc_type=overrides.doc_type or guess_doc_type(title, extracted.text, turns),
        title=title,
        date=overrides.date or guess_date(extracted, path.name),
        segments=segments_for(extracted, turns),
        access_groups=overrides.access_groups or ("everyone",),
        pages=extracted.pages,
        needs_ocr=extracted.needs_ocr,
        needs_ocr_reason=extracted.needs_ocr_reason,
    )
