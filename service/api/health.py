"""GET /healthz: the service is up and which index it serves (open to monitoring without signing in)."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.access import can_see
from service.api.auth import MaybeUserDep
from service.api.deps import SearcherDep
from service.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(user: MaybeUserDep, searcher: SearcherDep) -> Health:
    """Liveness plus the size and generation of the index. Counts are of what the caller may see: anonymous
    callers (monitoring) get none, so restricted documents are never even counted for them."""
    searcher.refresh()
    documents = chunks = None
    if user is not None:
        visible = [r for r in searcher.catalog.documents().values() if can_see(user, r.access_groups)]
        documents, chunks = len(visible), sum(r.n_chunks for r in visible)
    return Health(status="ok", documents=documents, chunks=chunks, generation=searcher.generation,
                  embedder=searcher.embedder.name)
