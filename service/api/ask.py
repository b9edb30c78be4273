"""POST /api/ask: a short answer whose every sentence cites a passage, or an honest refusal."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import AnswererDep
from service.api.errors import http_error
from service.api.schemas import AskRequest, AskResponse
from service.filters import parse_filters

router = APIRouter(prefix="/api", tags=["ask"])


@router.post("/ask", responses={403: {"description": "the model is denied by the provider policy"},
                                502: {"description": "the language model endpoint failed"},
                                504: {"description": "the language model endpoint timed out"}})
def ask(body: AskRequest, answerer: AnswererDep) -> AskResponse:
    """Compose an answer from the best passages: `extractive` (offline) or `llm` (a configured model)."""
    try:
        answer = answerer.ask(body.question, parse_filters(body.filters), body.composer, body.model)
    except Exception as exc:
        raise http_error(exc) from exc
    return AskResponse.from_answer(body.question, answer)
