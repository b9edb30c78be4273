"""The FastAPI application: models and the index load once, at start-up, before the first request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kotae import __version__
from kotae.settings import Settings
from service.answer import Answerer
from service.api import ask, draft, health, models, search
from service.draft import Drafter
from service.search import Searcher


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one store; the searcher (models, index view) is created when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.searcher = Searcher(settings)
        app.state.answerer = Answerer(app.state.searcher)
        app.state.drafter = Drafter(app.state.answerer)
        yield

    app = FastAPI(title="Kotae (答え)", version=__version__, lifespan=lifespan,
                  description="Cited answers from municipal documents: search, answers and council-answer drafts.")
    app.include_router(health.router)
    app.include_router(search.router)
    app.include_router(ask.router)
    app.include_router(draft.router)
    app.include_router(models.router)
    return app
