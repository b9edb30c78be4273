"""The admin API behind /admin (admins only): folders of the store, uploads, ingestion, removal and repair jobs,
corrections of a document's fields, the audit log and the usage report.

Jobs run inside this process, in a thread (`ingest/jobs.py`, given to the app at start-up); these routes only
start and report them. `kotae ingest` on the machine of a running server hands its run over through them.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request, UploadFile
from fastapi.responses import PlainTextResponse

from kotae.formats import DOCUMENT_SUFFIXES
from kotae.index.catalog import checked_corrections
from kotae.index.store import StorePaths, include_sources, register_folders, registered_folders
from kotae.jobs import JobBusy
from service.api.access import record
from service.api.auth import AdminDep
from service.api.deps import JobsDep, SearcherDep
from service.api.schemas import (
    FieldsRequest,
    FolderRequest,
    FoldersResponse,
    JobOut,
    JobRequest,
    RefusedUpload,
    UploadResponse,
)
from service.audit import AuditLog

router = APIRouter(prefix="/api/admin", tags=["admin"])
_CHUNK = 1 << 20


@router.get("/folders")
def folders(admin: AdminDep, searcher: SearcherDep) -> FoldersResponse:
    """The folders ingested into this store, and where uploads go."""
    paths = StorePaths(searcher.settings.store.dir)
    return FoldersResponse(folders=[str(f) for f in registered_folders(paths)], uploads=str(paths.uploads.resolve()))


@router.post("/folders", status_code=201)
def add_folder(body: FolderRequest, request: Request, admin: AdminDep, searcher: SearcherDep) -> FoldersResponse:
    """Register a folder on the server; its files are indexed by the next job."""
    folder = Path(body.path).expanduser()
    if not folder.is_absolute():
        raise HTTPException(status_code=422, detail=f"{body.path}: give the folder's full path (e.g. /srv/docs)")
    if not folder.is_dir():
        raise HTTPException(status_code=422, detail=f"{body.path}: no such folder on the server")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise HTTPException(status_code=422, detail=f"{body.path}: the server may not read this folder")
    paths = StorePaths(searcher.settings.store.dir)
    register_folders(paths, [folder])
    record(request, admin, "admin.folder", "ok", question=str(folder))
    return folders(admin, searcher)


@router.post("/upload")
async def upload(files: list[UploadFile], request: Request, admin: AdminDep, searcher: SearcherDep) -> UploadResponse:
    """Save uploaded files into the store's uploads folder (indexed by the next job). A file is refused, with
    the reason, when its type is not one Kotae reads, its name is unusable or it is too large."""
    paths = StorePaths(searcher.settings.store.dir)
    paths.uploads.mkdir(parents=True, exist_ok=True)
    limit = int(searcher.settings.ingest.max_file_mb * 1_000_000)
    saved: list[str] = []
    refused: list[RefusedUpload] = []
    for item in files:
        raw_name = item.filename or ""
        name = Path(raw_name.replace("\\", "/")).name
        reason = _refusal(name, limit, item.size)
        if reason is None:
            reason = await _save(item, paths.uploads / name, limit)
        if reason is not None:
            refused.append(RefusedUpload(name=raw_name or "(no name)", reason=reason))
        else:
            saved.append(name)
    include_sources(paths, [str(Path(os.path.abspath(paths.uploads)) / n) for n in saved])  # uploaded again
    record(request, admin, "admin.upload", "ok", sources=tuple(saved))
    return UploadResponse(saved=saved, refused=refused)


@router.post("/jobs", status_code=202)
def start_job(request: Request, admin: AdminDep, jobs: JobsDep, body: JobRequest | None = None) -> JobOut:
    """Start a job (409 while one runs): without a body, re-run ingestion over every folder of the store and its
    uploads (only what changed is redone); or ingest given paths, remove documents, or repair the store."""
    body = body or JobRequest()
    try:
        if body.kind == "remove":
            if not body.sources:
                raise HTTPException(status_code=422, detail="sources: give at least one indexed source to remove")
            job = jobs.remove(body.sources)
        elif body.kind == "repair":
            job = jobs.repair(body.force)
        else:
            job = jobs.ingest(_server_paths(body.paths) if body.paths else None)
    except JobBusy as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    record(request, admin, f"admin.{body.kind}", "ok", sources=tuple(body.sources or body.paths or ()))
    return JobOut(**job.as_dict())


def _server_paths(paths: list[str]) -> list[Path]:
    """The paths of an ingest job: each a full path of an existing file or folder on the server (422 otherwise)."""
    checked: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_absolute():
            raise HTTPException(status_code=422, detail=f"paths: {raw}: give the full path on the server")
        if not path.exists():
            raise HTTPException(status_code=422, detail=f"paths: {raw}: no such file or folder on the server")
        checked.append(path)
    return checked


@router.post("/jobs/current/cancel")
def cancel_job(request: Request, admin: AdminDep, jobs: JobsDep) -> JobOut:
    """Stop the running job; the index keeps what was committed (409 when no job is running)."""
    job = jobs.cancel()
    if job is None:
        raise HTTPException(status_code=409, detail="no job is running")
    record(request, admin, "admin.cancel", "ok")
    return JobOut(**job.as_dict())


@router.get("/jobs/current")
def current_job(admin: AdminDep, jobs: JobsDep) -> JobOut:
    """The running job, or the last one (404 before the first since start-up)."""
    job = jobs.current()
    if job is None:
        raise HTTPException(status_code=404, detail="no job has run since the server started")
    return JobOut(**job.as_dict())


@router.get("/jobs/{job_id}")
def job_by_id(job_id: str, admin: AdminDep, jobs: JobsDep) -> JobOut:
    """One of the recent jobs (404 when unknown or long gone)."""
    job = jobs.get(job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"no recent job {job_id}")
    return JobOut(**job.as_dict())


@router.delete("/documents/{source:path}", status_code=202)
def remove_document(source: str, request: Request, admin: AdminDep, jobs: JobsDep,
                    searcher: SearcherDep) -> JobOut:
    """Remove a document from the index and from later runs (an uploaded copy is deleted)."""
    if searcher.catalog.document(source) is None:
        raise HTTPException(status_code=404, detail=f"{source}: not an indexed document")
    try:
        job = jobs.remove([source])
        record(request, admin, "admin.remove", "ok", sources=(source,))
        return JobOut(**job.as_dict())
    except JobBusy as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@router.put("/documents/{source:path}/fields", status_code=202)
def correct_fields(source: str, body: FieldsRequest, request: Request, admin: AdminDep, jobs: JobsDep,
                   searcher: SearcherDep) -> JobOut:
    """Correct a document's title, date (yyyy-mm-dd), doc_type or municipality: a job saves the correction in the
    catalogue and reads the document again with it (its unchanged text is not embedded again); later runs keep
    it, over what the document and its metadata files say. A field left out stays as it is; null or "" drops its
    correction. 422 names a bad field and why, 404 an unknown source, 409 while another job runs."""
    changes = {name: getattr(body, name) for name in sorted(body.model_fields_set)}
    if not changes:
        raise HTTPException(status_code=422, detail="give at least one of title, date, doc_type, municipality")
    try:
        checked = checked_corrections(changes)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    if searcher.catalog.document(source) is None:
        raise HTTPException(status_code=404, detail=f"{source}: not an indexed document")
    try:
        job = jobs.correct(source, checked, admin.name)
    except JobBusy as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    record(request, admin, "admin.correct", "ok", sources=(source,),
           question=json.dumps(checked, ensure_ascii=False))
    return JobOut(**job.as_dict())


# SQLite's integers stop at 2**63 - 1 (a larger offset was a 500); no audit log comes near a billion rows.
_MAX_AUDIT_OFFSET = 1_000_000_000


@router.get("/audit")
def audit_events(request: Request, admin: AdminDep, limit: int = Query(100, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=_MAX_AUDIT_OFFSET), user: str | None = None,
                 action: str | None = None) -> dict[str, object]:
    """The audit log, newest first: who did what, with which composer and model, citing which sources; `total`
    counts the events matching the filters."""
    log: AuditLog = request.app.state.audit
    return {"events": log.events(limit, offset, user, action), "total": log.total(user, action)}


@router.get("/audit.csv", response_class=PlainTextResponse)
def audit_csv(request: Request, admin: AdminDep, since: str | None = None) -> PlainTextResponse:
    """The audit log as CSV (as `kotae audit export`)."""
    log: AuditLog = request.app.state.audit
    return PlainTextResponse(log.export_csv(since), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": "attachment; filename=kotae-audit.csv"})


@router.get("/usage")
def usage(request: Request, admin: AdminDep, period: str = Query("week", pattern="^(day|week|month)$"),
          since: str | None = None) -> dict[str, list[dict[str, object]]]:
    """Use by department (a user's first group) and task, per day, week or month: for the DX office."""
    log: AuditLog = request.app.state.audit
    return {"rows": log.usage(period, since)}


def _refusal(name: str, limit: int, size: int | None) -> str | None:
    if not name or name in (".", "..") or name.startswith("."):
        return "the file name is empty or hidden"
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name) or len(name.encode("utf-8")) > 200:
        return "the file name has control characters or is longer than 200 bytes"
    if Path(name).suffix.lower() not in DOCUMENT_SUFFIXES:
        return f"unsupported file type '{Path(name).suffix or '(none)'}' (supported: {' '.join(DOCUMENT_SUFFIXES)})"
    if size is not None and size > limit:
        return f"larger than {limit // 1_000_000} MB (KOTAE_INGEST_MAX_FILE_MB)"
    return None


async def _save(item: UploadFile, target: Path, limit: int) -> str | None:
    """Stream the upload to a temporary file and move it into place; None when saved, else the reason."""
    temporary = target.with_name(f".{target.name}.part")
    written = 0
    try:
        with open(temporary, "wb") as out:
            while chunk := await item.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise ValueError(f"larger than {limit // 1_000_000} MB (KOTAE_INGEST_MAX_FILE_MB)")
                out.write(chunk)
        if written == 0:
            raise ValueError("the file is empty")
        os.replace(temporary, target)
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return str(exc) if isinstance(exc, ValueError) else f"could not be saved: {exc.strerror or exc}"
    return None
