"""The FastAPI application: models and the index load once, at start-up, before the first request."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from kotae import __version__
from kotae.auth import UserStore
from kotae.errors import StoreError
from kotae.index import owner
from kotae.jobs import IngestionJobs
from kotae.settings import Settings
from service.answer import Answerer
from service.api import admin, ask, auth, documents, draft, health, models, pages, search
from service.api.errors import STORE_UNAVAILABLE
from service.audit import AuditLog
from service.csrf import CrossOriginGuard
from service.draft import Drafter
from service.limits import BodyLimit, UploadGuard
from service.ratelimit import RateLimiter
from service.reader.search import Searcher

UPLOAD_PATH = "/api/admin/upload"
log = logging.getLogger(__name__)


def create_app(settings: Settings, jobs: IngestionJobs | None = None, url: str | None = None) -> FastAPI:
    """Build the app for one store; the searcher (models, index view) is created when the app starts.

    `jobs` runs the admin page's ingestion, removal and repair jobs inside this process (`kotae serve` gives the
    writer side's runner: the service never imports it); without it those routes answer 503. An embedded store
    is held by the app while it runs (waiting, at start, for a command-line run to end); `url`, where the app
    listens, is written beside the lock so that `kotae ingest` on this machine hands its run over to the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.control_token = secrets.token_urlsafe(32)
        app.state.jobs = jobs
        embedded = None if settings.store.chroma_url else settings.store.dir
        if embedded is not None:
            await asyncio.to_thread(owner.hold, embedded, math.inf)
        searcher: Searcher | None = None
        try:
            searcher = app.state.searcher = Searcher(settings)
            app.state.answerer = Answerer(searcher)
            app.state.drafter = Drafter(app.state.answerer)
            app.state.users = UserStore(settings.store.dir) if settings.auth.mode == "on" else None
            app.state.limiter = RateLimiter(settings.usage.rate_limit_per_minute)
            app.state.compute_slots = threading.BoundedSemaphore(settings.usage.compute_slots or os.cpu_count() or 2)
            app.state.audit = AuditLog(settings.store.dir, settings.usage.audit_retention_days,
                                       settings.usage.timezone)
            if embedded is not None and url:
                owner.announce(embedded, url, app.state.control_token)
            yield
        finally:
            if jobs is not None:
                await asyncio.to_thread(jobs.close)
            if searcher is not None:
                searcher.close()
            if embedded is not None:
                owner.release(embedded)

    app = FastAPI(title="Kotae (答え)", version=__version__, lifespan=lifespan,
                  description="Cited answers from municipal documents: search, answers and council-answer drafts.")

    upload_limit = int(settings.ingest.max_file_mb * 1_000_000 * 20) + 1_000_000

    def body_limit(path: str) -> int:
        """JSON bodies are small; uploads may carry twenty files at the maximum file size."""
        return upload_limit if path == UPLOAD_PATH else settings.usage.max_body_kb * 1024

    app.add_middleware(BodyLimit, limit_for=body_limit)
    # Outside BodyLimit: who is asking, and the declared size, are checked before any of the body is read.
    app.add_middleware(UploadGuard, path=UPLOAD_PATH, limit=upload_limit, slots=settings.usage.upload_concurrency)
    app.add_middleware(CrossOriginGuard, auth=settings.auth)  # outermost: refused before any body is read

    @app.exception_handler(StoreError)
    async def store_unavailable(request: Request, exc: StoreError) -> JSONResponse:
        """503 from any route whose store did not answer (the reason goes to the log, not to the caller)."""
        log.error("store error on %s: %s", request.url.path, exc)
        return JSONResponse({"detail": STORE_UNAVAILABLE}, status_code=503)

    @app.exception_handler(sqlite3.Error)
    async def database_failed(request: Request, exc: sqlite3.Error) -> JSONResponse:
        """503 too when one of the store's SQLite files fails (a full disk, a damaged file)."""
        log.error("store database error on %s: %s", request.url.path, exc)
        return JSONResponse({"detail": STORE_UNAVAILABLE}, status_code=503)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        """422 with where and why, without echoing the input (it may not even be encodable: NaN, 1e999)."""
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                  for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    for router in (health.router, auth.router, search.router, ask.router, draft.router, models.router,
                   documents.router, admin.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    return app
