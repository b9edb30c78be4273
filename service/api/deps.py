"""FastAPI dependencies, as `Annotated` aliases routes can declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from kotae.jobs import IngestionJobs
from service.answer import Answerer
from service.draft import Drafter
from service.reader.search import Searcher


def get_searcher(request: Request) -> Searcher:
    """The process-wide searcher created at start-up."""
    searcher: Searcher = request.app.state.searcher
    return searcher


SearcherDep = Annotated[Searcher, Depends(get_searcher)]


def get_answerer(request: Request) -> Answerer:
    """The process-wide answerer (composers and models) created at start-up."""
    answerer: Answerer = request.app.state.answerer
    return answerer


AnswererDep = Annotated[Answerer, Depends(get_answerer)]


def get_drafter(request: Request) -> Drafter:
    """The process-wide drafter created at start-up."""
    drafter: Drafter = request.app.state.drafter
    return drafter


DrafterDep = Annotated[Drafter, Depends(get_drafter)]


def get_jobs(request: Request) -> IngestionJobs:
    """The process-wide runner of ingestion jobs (503 when the app was started without one)."""
    jobs: IngestionJobs | None = request.app.state.jobs
    if jobs is None:
        raise HTTPException(status_code=503, detail="this server runs no ingestion jobs (started without them)")
    return jobs


JobsDep = Annotated[IngestionJobs, Depends(get_jobs)]
