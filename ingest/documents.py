"""Building a `Document`: load the file, find its structure, apply metadata overrides and an admin's corrections."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ingest.describe import describe
from ingest.loaders import load_file
from ingest.meta import Overrides
from ingest.structure import find_turns, segments_for
from kotae.types import DESCRIBED_FIELDS, Document

# Bump when loading, structure or chunking changes what gets stored, so every document is redone once.
# 2: PDF page numbers and running headers dropped, spaced lines repaired; sentences whole around brackets.
# 3: a bullet 「○…（…、…）」 is no speaker turn (a manual read as minutes lost every sentence to a fake speaker).
# 4: title, date, kind and municipality read from the document itself (describe.py).
# 5: 例規 split by article (条・項・号, 附則), read under their title and article; tables kept by row, read under
#    their header.
PIPELINE_VERSION = "5"


def content_hash(data: bytes) -> str:
    """SHA-256 of a file's bytes: equal for identical files under any name."""
    return hashlib.sha256(data).hexdigest()


def document_version(content: str, overrides: Overrides, chunking: dict[str, object],
                     pipeline: str = PIPELINE_VERSION) -> str:
    """A hash of everything that decides what gets stored for a file (`pipeline`: the version of the code that
    reads it; an earlier one tells a document read by older code from a changed one)."""
    basis: dict[str, object] = {
        "content": content,
        "overrides": [overrides.title, overrides.date, overrides.doc_type_written, overrides.access_groups],
        "chunking": chunking,
        "pipeline": pipeline,
    }
    if overrides.municipality is not None:  # absent before issue 15: versions of earlier stores stay comparable
        basis["municipality"] = overrides.municipality
    if overrides.corrected:  # an admin's corrections (their values are above): absent, a version stays as it was
        basis["corrected"] = list(overrides.corrected)
    return hashlib.sha256(json.dumps(basis, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def build_document(path: Path, source: str, content: str, version: str, overrides: Overrides) -> Document:
    """Load `path` and describe it; raises `LoadError` when it cannot be read."""
    extracted = load_file(path)
    turns = find_turns(extracted.text)
    found = describe(extracted, turns, path.name)
    doc_type = overrides.doc_type or found.doc_type
    sources = dict(found.sources)
    for name in DESCRIBED_FIELDS:
        if getattr(overrides, name) is not None:
            sources[name] = "correction" if name in overrides.corrected else "override"
    return Document(
        source=source,
        text=extracted.text,
        content_hash=content,
        version=version,
        doc_type=doc_type,
        title=overrides.title or found.title,
        date=overrides.date or found.date,
        segments=segments_for(extracted, turns, doc_type),
        access_groups=overrides.access_groups or ("everyone",),
        pages=extracted.pages,
        needs_ocr=extracted.needs_ocr,
        needs_ocr_reason=extracted.needs_ocr_reason,
        municipality=overrides.municipality or found.municipality,
        field_sources=sources,
    )
