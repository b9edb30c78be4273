"""The FastAPI application: models and the index load once, at start-up, before the first request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kotae import __version__
from kotae.settings import Settings
from service.answer import Answerer
from service.api import admin, ask, documents, draft, health, models, pages, search
from service.draft import Drafter
from service.jobs import JobRunner
from service.search import Searcher


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one store; the searcher (models, index view) is created when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.searcher = Searcher(settings)
        app.state.answerer = Answerer(app.state.searcher)
        app.state.drafter = Drafter(app.state.answerer)
        app.state.jobs = JobRunner(settings.store.dir)
        yield

    app = FastAPI(title="Kotae (答え)", version=__version__, lifespan=lifespan,
                  description="Cited answers from municipal documents: search, answers and council-answer drafts.")
    for router in (health.router, search.router, ask.router, draft.router, models.router, documents.router,
                   admin.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app
