"""The documents in the index: GET /api/documents (with their status), GET /api/passages/{chunk_id} (a whole
passage, to show a citation in context) and GET /api/files/{source} (the original file)."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from kotae.auth import User
from kotae.index.catalog import CatalogStore
from service.api.access import can_see
from service.api.auth import UserDep
from service.api.deps import SearcherDep
from service.api.schemas import CorrectionOut, DocumentOut, DocumentsResponse, PassageOut, WhereFields
from service.failure_reasons import japanese_reason

router = APIRouter(prefix="/api", tags=["documents"])


@router.get("/documents")
def documents(user: UserDep, searcher: SearcherDep) -> DocumentsResponse:
    """The documents the user may see, with their status: indexed, failed (with the reason; an earlier version
    may still be indexed) or needs_ocr (pages without text that could not be read). Files that failed without
    ever being indexed have no access groups yet, so only admins see them; only admins see the server folder a
    document was read from (`root`): a path on the server tells staff nothing and an attacker something."""
    return document_list(searcher.catalog, user)


def document_list(catalog: CatalogStore, user: User) -> DocumentsResponse:
    """The documents of `catalog` that `user` may see, as GET /api/documents lists them (also `kotae documents`).
    Only admins see `root` and who corrected what (`corrections`)."""
    records = {s: r for s, r in catalog.documents().items() if can_see(user, r.access_groups)}
    failures = {s: reason for s, reason in catalog.failures().items() if user.is_admin or s in records}
    corrections = catalog.corrections() if user.is_admin else {}
    listed: list[DocumentOut] = []
    for source, r in sorted(records.items()):
        status: Literal["indexed", "failed", "needs_ocr"] = (
            "failed" if source in failures else "needs_ocr" if r.needs_ocr else "indexed")
        reason = failures.get(source)
        corrected = {name: CorrectionOut(value=c.value, by=c.by, at=c.at)
                     for name, c in corrections.get(source, {}).items()}
        listed.append(DocumentOut(source=source, title=r.title, doc_type=r.doc_type, date=r.date, chunks=r.n_chunks,
                                  status=status, reason=reason, reason_ja=_japanese(reason),
                                  needs_ocr_pages=list(r.needs_ocr), root=r.root if user.is_admin else None,
                                  indexed_at=r.indexed_at, municipality=r.municipality,
                                  field_sources=dict(r.field_sources), url=r.url, fetched_at=r.fetched_at,
                                  corrections=corrected if user.is_admin else None))
    for source, reason in sorted(failures.items()):
        if source not in records:
            listed.append(DocumentOut(source=source, title=Path(source).name, doc_type=None, date=None, chunks=0,
                                      status="failed", reason=reason, reason_ja=_japanese(reason),
                                      needs_ocr_pages=[], root=None, indexed_at=None,
                                      corrections={} if user.is_admin else None))
    return DocumentsResponse(documents=listed, doc_types=sorted({r.doc_type for r in records.values()}))


@router.get("/passages/{chunk_id}")
def passage(chunk_id: str, user: UserDep, searcher: SearcherDep) -> PassageOut:
    """The whole passage a citation lies in, and where to open its original file."""
    chunk = searcher.catalog.chunks([chunk_id]).get(chunk_id)
    if chunk is None or not can_see(user, chunk.access_groups):  # the same answer: nothing is revealed
        raise HTTPException(status_code=404, detail=f"passage {chunk_id} is not in the index (re-ingested since?)")
    record = searcher.catalog.document(chunk.source)
    file_url = None
    if record is not None and (Path(record.root) / chunk.source).is_file():
        file_url = "/api/files/" + quote(chunk.source)
    return PassageOut(chunk_id=chunk.chunk_id, source=chunk.source, title=chunk.title, doc_type=chunk.doc_type,
                      page=chunk.page, date=chunk.date, speaker=chunk.speaker, speaker_title=chunk.speaker_title,
                      speaker_role=chunk.speaker_role, start=chunk.start, end=chunk.end, text=chunk.text,
                      file_url=file_url, **WhereFields.of(chunk))


@router.get("/files/{source:path}", response_class=FileResponse)
def original_file(source: str, user: UserDep, searcher: SearcherDep) -> FileResponse:
    """The original file of an indexed document (only indexed sources are served, from their own folder)."""
    record = searcher.catalog.document(source)
    if record is None or not can_see(user, record.access_groups):
        raise HTTPException(status_code=404, detail=f"{source}: not an indexed document")
    root = Path(record.root).resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(status_code=404, detail=f"{source}: the original file is no longer at {record.root}")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8" if _is_utf8(path) else "; charset=shift_jis"
    # A document is data: an HTML original must not run scripts in Kotae's origin with the user's session.
    headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=media_type, content_disposition_type="inline", filename=path.name,
                        headers=headers)


def _japanese(reason: str | None) -> str | None:
    """A failure reason for the admin page, in Japanese (the English stays in `reason`)."""
    return None if reason is None else japanese_reason(reason)


def _is_utf8(path: Path) -> bool:
    """Whether a text file is UTF-8 (else it is served as Shift_JIS, the other encoding Kotae reads)."""
    with open(path, "rb") as handle:
        head = handle.read(min(os.path.getsize(path), 1 << 20))
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # cut inside a character at the 1 MB mark
    return True
