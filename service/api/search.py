"""POST /api/search: ranked passages for a query, among the documents the user may see."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service.api.access import record, restricted, status_of
from service.api.auth import RatedUserDep
from service.api.deps import SearcherDep
from service.api.errors import http_error
from service.api.schemas import HitOut, SearchRequest, SearchResponse

router = APIRouter(prefix="/api", tags=["search"])


@router.post("/search")
def search(body: SearchRequest, request: Request, user: RatedUserDep, searcher: SearcherDep) -> SearchResponse:
    """Hybrid search over the committed chunks; filters narrow by type, period, speaker and role."""
    try:
        hits = searcher.search(body.query, k=body.k, filters=restricted(body.filters, user))
    except Exception as exc:
        error = http_error(exc)
        record(request, user, "search", status_of(error), question=body.query)
        raise error from exc
    record(request, user, "search", "ok", question=body.query, sources=tuple(h.chunk.source for h in hits))
    return SearchResponse(query=body.query, hits=[HitOut.from_hit(h) for h in hits])
