"""POST /api/search: ranked passages for a query."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from service.api.deps import SearcherDep
from service.api.schemas import HitOut, SearchRequest, SearchResponse
from service.filters import FilterError, parse_filters

router = APIRouter(prefix="/api", tags=["search"])


@router.post("/search")
def search(body: SearchRequest, searcher: SearcherDep) -> SearchResponse:
    """Hybrid search over the committed chunks; filters narrow by type, period, speaker and role."""
    try:
        hits = searcher.search(body.query, k=body.k, filters=parse_filters(body.filters))
    except FilterError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return SearchResponse(query=body.query, hits=[HitOut.from_hit(h) for h in hits])
