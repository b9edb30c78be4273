"""The FastAPI application: models and the index load once, at start-up, before the first request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from kotae import __version__
from kotae.auth import UserStore
from kotae.settings import Settings
from service.answer import Answerer
from service.api import admin, ask, auth, documents, draft, health, models, pages, search
from service.audit import AuditLog
from service.draft import Drafter
from service.jobs import JobRunner
from service.ratelimit import RateLimiter
from service.search import Searcher

UPLOAD_PATH = "/api/admin/upload"


def create_app(settings: Settings) -> FastAPI:
    """Build the app for one store; the searcher (models, index view) is created when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.searcher = Searcher(settings)
        app.state.answerer = Answerer(app.state.searcher)
        app.state.drafter = Drafter(app.state.answerer)
        app.state.jobs = JobRunner(settings.store.dir)
        app.state.users = UserStore(settings.store.dir) if settings.auth.mode == "on" else None
        app.state.limiter = RateLimiter(settings.usage.rate_limit_per_minute)
        app.state.audit = AuditLog(settings.store.dir, settings.usage.audit_retention_days, settings.usage.timezone)
        yield

    app = FastAPI(title="Kotae (答え)", version=__version__, lifespan=lifespan,
                  description="Cited answers from municipal documents: search, answers and council-answer drafts.")

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Refuse oversized bodies before reading them (uploads have their own, larger limit)."""
        length = request.headers.get("content-length", "")
        limit = settings.usage.max_body_kb * 1024
        if request.url.path == UPLOAD_PATH:
            limit = int(settings.ingest.max_file_mb * 1_000_000 * 20) + 1_000_000  # twenty files at the maximum
        if length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"the request body is larger than {limit // 1024} KB"}, status_code=413)
        return await call_next(request)

    for router in (health.router, auth.router, search.router, ask.router, draft.router, models.router,
                   documents.router, admin.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app
