"""FastAPI dependencies, as `Annotated` aliases routes can declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.answer import Answerer
from service.draft import Drafter
from service.jobs import JobRunner
from service.search import Searcher


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


def get_jobs(request: Request) -> JobRunner:
    """The process-wide runner of ingestion jobs."""
    jobs: JobRunner = request.app.state.jobs
    return jobs


JobsDep = Annotated[JobRunner, Depends(get_jobs)]
