"""GET /healthz: the service is up and which index it serves."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import SearcherDep
from service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(searcher: SearcherDep) -> Health:
    """Liveness plus the size and generation of the index being served."""
    searcher.refresh()
    return Health(status="ok", documents=len(searcher.catalog.documents()), chunks=searcher.catalog.chunk_count(),
                  generation=searcher.generation, embedder=searcher.embedder.name)
