"""POST /api/draft: a council-answer draft (答弁案) with citations; POST /api/draft/docx: the same as Word."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.api.access import record, restricted, status_of
from service.api.auth import RatedUserDep
from service.api.deps import DrafterDep
from service.api.errors import http_error
from service.api.schemas import DraftRequest, DraftResponse
from service.docx_export import write_docx
from service.draft import Draft

router = APIRouter(prefix="/api", tags=["draft"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _draft(body: DraftRequest, request: Request, user: RatedUserDep, drafter: DrafterDep, action: str) -> Draft:
    fields = {"question": body.question, "composer": body.composer, "model": body.model, "task": body.task}
    try:
        result = drafter.draft(body.question, body.questioner, body.stance, restricted(body.filters, user),
                               body.composer, body.model)
    except Exception as exc:
        error = http_error(exc)
        record(request, user, action, status_of(error), **fields)
        raise error from exc
    record(request, user, action, "ok" if result.grounded else "refused", guard=result.guard or None,
           sources=tuple(c.source for c in result.citations), **fields)
    return result


ERRORS: dict[int | str, dict[str, Any]] = {403: {"description": "the model is denied by the provider policy"},
          502: {"description": "the language model endpoint failed"},
          504: {"description": "the language model endpoint timed out"}}


@router.post("/draft", responses=ERRORS)
def draft(body: DraftRequest, request: Request, user: RatedUserDep, drafter: DrafterDep) -> DraftResponse:
    """A 答弁案 built on past executive answers and the city's rules; every statement cited."""
    return DraftResponse.from_draft(_draft(body, request, user, drafter, "draft"))


@router.post("/draft/docx", response_class=Response, responses={200: {"content": {DOCX: {}}}, **ERRORS})
def draft_docx(body: DraftRequest, request: Request, user: RatedUserDep, drafter: DrafterDep) -> Response:
    """The draft as a .docx file, with the sources it cites and earlier answers listed."""
    result = _draft(body, request, user, drafter, "draft_docx")
    with tempfile.TemporaryDirectory() as folder:
        path = write_docx(result, Path(folder) / "draft.docx", body.questioner, body.stance)
        content = path.read_bytes()
    name = quote("答弁案.docx")
    return Response(content, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename=draft.docx; filename*=UTF-8''{name}"})
