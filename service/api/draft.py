"""POST /api/draft: a council-answer draft (答弁案) with citations; POST /api/draft/docx: the same as Word;
POST /api/draft/notice: a draft for each item of a 一般質問通告書; POST /api/draft/notice/docx: all in one Word file;
POST /api/draft/notice/read: the text of an uploaded 通告書 file."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, UploadFile
from fastapi.responses import Response

from service.api.access import record, restricted, status_of
from service.api.auth import RatedUserDep
from service.api.deps import DrafterDep
from service.api.errors import http_error
from service.api.schemas import DraftRequest, DraftResponse, NoticeRequest, NoticeResponse, NoticeText
from service.docx_export import docx_filename, write_docx, write_notice_docx
from service.draft import Draft
from service.drafting.notice import Notice, parse_notice, read_notice

router = APIRouter(prefix="/api", tags=["draft"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
T = TypeVar("T")


def _audited(request: Request, user: Any, action: str, fields: dict[str, Any], make: Callable[[], T]) -> T:
    """`make()`, its failure recorded in the audit log and turned into the HTTP error it means."""
    try:
        return make()
    except Exception as exc:
        error = http_error(exc)
        record(request, user, action, status_of(error), **fields)
        raise error from exc


def _draft(body: DraftRequest, request: Request, user: RatedUserDep, drafter: DrafterDep, action: str) -> Draft:
    fields = {"question": body.question, "composer": body.composer, "model": body.model, "task": body.task}
    result = _audited(request, user, action, fields, lambda: drafter.draft(
        body.question, body.questioner, body.stance, restricted(body.filters, user), body.composer, body.model,
        body.answerer))
    record(request, user, action, "ok" if result.grounded else "refused", guard=result.guard or None,
           sources=tuple(c.source for c in result.citations), **fields)
    return result


def _notice(body: NoticeRequest, request: Request, user: RatedUserDep, drafter: DrafterDep,
            action: str) -> tuple[Notice, tuple[Draft, ...]]:
    fields = {"question": body.notice[:200], "composer": body.composer, "model": body.model, "task": body.task}

    def make() -> tuple[Notice, tuple[Draft, ...]]:
        notice = parse_notice(body.notice)
        return notice, drafter.draft_notice(notice, body.stance, restricted(body.filters, user), body.composer,
                                            body.model, body.answerer)

    notice, drafts = _audited(request, user, action, fields, make)
    record(request, user, action, "ok" if any(d.grounded for d in drafts) else "refused",
           guard="; ".join(d.guard for d in drafts if d.guard) or None,
           sources=tuple(dict.fromkeys(c.source for d in drafts for c in d.citations)), **fields)
    return notice, drafts


ERRORS: dict[int | str, dict[str, Any]] = {403: {"description": "the model is denied by the provider policy"},
          502: {"description": "the language model endpoint failed"},
          504: {"description": "the language model endpoint timed out"}}
NOTICE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 422: {"description": "a bad field, or a notice with no numbered item (「１　〇〇について」)"}}


def _word(content: bytes, name: str) -> Response:
    """A .docx download named `name` (UTF-8, with an ASCII fallback)."""
    return Response(content, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=draft.docx; filename*=UTF-8''{quote(name)}"})


@router.post("/draft", responses=ERRORS)
def draft(body: DraftRequest, request: Request, user: RatedUserDep, drafter: DrafterDep) -> DraftResponse:
    """A 答弁案 built on past executive answers and the city's rules; every statement cited."""
    return DraftResponse.from_draft(_draft(body, request, user, drafter, "draft"))


@router.post("/draft/docx", response_class=Response, responses={200: {"content": {DOCX: {}}}, **ERRORS})
def draft_docx(body: DraftRequest, request: Request, user: RatedUserDep, drafter: DrafterDep) -> Response:
    """The draft as an A4 .docx file named after the topic and date, with the sources it cites listed."""
    result = _draft(body, request, user, drafter, "draft_docx")
    font = request.app.state.settings.docx.font
    with tempfile.TemporaryDirectory() as folder:
        path = write_docx(result, Path(folder) / "draft.docx", body.questioner, body.stance, font=font)
        content = path.read_bytes()
    return _word(content, docx_filename(body.question, dt.date.today()))


@router.post("/draft/notice", responses=NOTICE_ERRORS)
def draft_notice(body: NoticeRequest, request: Request, user: RatedUserDep, drafter: DrafterDep) -> NoticeResponse:
    """A 答弁案 for each numbered item of a 一般質問通告書, in the member's name."""
    return NoticeResponse.from_notice(*_notice(body, request, user, drafter, "draft_notice"))


@router.post("/draft/notice/docx", response_class=Response,
             responses={200: {"content": {DOCX: {}}}, **NOTICE_ERRORS})
def draft_notice_docx(body: NoticeRequest, request: Request, user: RatedUserDep, drafter: DrafterDep) -> Response:
    """All the items' drafts in one A4 .docx file, a heading per item."""
    notice, drafts = _notice(body, request, user, drafter, "draft_notice_docx")
    font = request.app.state.settings.docx.font
    topic = notice.items[0].title if len(notice.items) == 1 else f"{notice.questioner or ''}一般質問"
    with tempfile.TemporaryDirectory() as folder:
        path = write_notice_docx(drafts, Path(folder) / "notice.docx", notice.questioner or None,
                                 [i.title for i in notice.items], font=font)
        content = path.read_bytes()
    return _word(content, docx_filename(topic, dt.date.today()))


NOTICE_FILE_LIMIT = 10 * 1024 * 1024  # a 通告書 is a page or two; a scanned PDF of several pages stays well under


@router.post("/draft/notice/read", responses={413: {"description": "the file is larger than 10 MB"},
                                              422: {"description": "not a .txt, .docx or .pdf, or no text in it"}})
async def read_notice_file(file: UploadFile, user: RatedUserDep) -> NoticeText:
    """The text of an uploaded 通告書 (.txt, .docx or .pdf), for the page to show and send to /api/draft/notice."""
    name = Path(file.filename or "notice.txt").name
    content = await file.read(NOTICE_FILE_LIMIT + 1)
    if len(content) > NOTICE_FILE_LIMIT:
        raise HTTPException(status_code=413, detail=f"{name}: larger than 10 MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"notice{Path(name).suffix.lower()}"
        path.write_bytes(content)
        try:
            text = read_notice(path)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc).replace(str(path), name)) from exc
    return NoticeText(notice=text, filename=name)
