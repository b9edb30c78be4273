"""POST /api/ask: a short answer whose every sentence cites a passage, or an honest refusal."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service.api.access import record, restricted, status_of
from service.api.auth import RatedUserDep
from service.api.deps import AnswererDep
from service.api.errors import http_error
from service.api.schemas import AskRequest, AskResponse

router = APIRouter(prefix="/api", tags=["ask"])


@router.post("/ask", responses={403: {"description": "the model is denied by the provider policy"},
                                422: {"description": "bad input, or personal information the guard blocks"},
                                502: {"description": "the language model endpoint failed"},
                                504: {"description": "the language model endpoint timed out"}})
def ask(body: AskRequest, request: Request, user: RatedUserDep, answerer: AnswererDep) -> AskResponse:
    """Compose an answer from the best passages: `extractive` (offline) or `llm` (a configured model)."""
    fields = {"question": body.question, "composer": body.composer, "model": body.model, "task": body.task}
    try:
        answer = answerer.ask(body.question, restricted(body.filters, user), body.composer, body.model)
    except Exception as exc:
        error = http_error(exc)
        record(request, user, "ask", status_of(error), **fields)
        raise error from exc
    record(request, user, "ask", "ok" if answer.grounded else "refused", guard=answer.guard or None,
           sources=tuple(c.source for c in answer.citations), **{**fields, "model": answer.model or body.model})
    return AskResponse.from_answer(body.question, answer)
