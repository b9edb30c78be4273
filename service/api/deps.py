"""FastAPI dependencies, as `Annotated` aliases routes can declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.search import Searcher


def get_searcher(request: Request) -> Searcher:
    """The process-wide searcher created at start-up."""
    searcher: Searcher = request.app.state.searcher
    return searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
