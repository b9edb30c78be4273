"""Request bodies are bounded before they are read, and uploads are checked from their headers alone.

`BodyLimit`: a body is refused by its Content-Length when given, and otherwise (chunked) by counting its bytes as
they are read, so no client can make the service hold an unbounded body in memory.

`UploadGuard`: FastAPI parses a multipart body (spooling its files) before a route's dependencies run, so the
upload route's own `AdminDep` would answer an anonymous 300 MB upload only after reading all of it. The guard
runs first, on the request's headers and cookies: 401/403 for a request that is not an admin's (the same check
as `AdminDep`), 413 when the Content-Length is over the upload limit, 429 when `slots` uploads are already
being received; only then is the body read.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from service.api.auth import require_admin, require_user

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# How long a refused upload is told to wait: an upload of many files takes seconds to minutes to arrive.
UPLOAD_RETRY_AFTER_S = 10


class BodyLimit:
    """ASGI middleware: 413 with a JSON reason when a body exceeds `limit_for(path)` bytes."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = _content_length(scope)
        if length is not None and length > limit:
            await _respond(send, 413, _too_large(limit))
            return
        received = 0

        async def counted_receive() -> Message:
            """The body as it arrives, refused once past the limit (without Content-Length, or past a false one).

            Counting instead of buffering: an upload's limit is a gigabyte, which must not sit in memory. The
            413 is raised where the route reads its body; FastAPI passes an HTTPException from there on as is.
            """
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail=_too_large(limit))
            return message

        await self.app(scope, counted_receive, send)


class UploadGuard:
    """ASGI middleware for the upload route: who asks, how large and how many at once, before the body is read."""

    def __init__(self, app: ASGIApp, path: str, limit: int, slots: int) -> None:
        self.app = app
        self.path = path
        self.limit = limit
        self.slots = slots
        self.active = 0  # uploads being received; one event loop, so a plain counter is enough

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        # A Request without `receive`: anything that tried to read the body here would fail, not wait for it.
        refused = await run_in_threadpool(admin_refusal, Request(scope))  # a token is a database look-up
        if refused is not None:
            await _respond(send, refused.status_code, str(refused.detail), refused.headers)
            return
        length = _content_length(scope)
        if length is not None and length > self.limit:
            await _respond(send, 413, _too_large(self.limit))
            return
        if self.active >= self.slots:
            await _respond(send, 429, f"too many uploads at once (KOTAE_UPLOAD_CONCURRENCY={self.slots}); try again "
                                      f"in {UPLOAD_RETRY_AFTER_S} s", {"Retry-After": str(UPLOAD_RETRY_AFTER_S)})
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


def admin_refusal(request: Request) -> HTTPException | None:
    """The 401 or 403 the admin routes' `AdminDep` would answer for this request, or None for an admin."""
    try:
        require_admin(require_user(request))
    except HTTPException as exc:
        return exc
    return None


def _content_length(scope: Scope) -> int | None:
    """The Content-Length header as a number, or None when absent or not a number."""
    value = dict(scope.get("headers") or []).get(b"content-length", b"")
    return int(value) if value.isdigit() else None


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit // 1024} KB"


async def _respond(send: Send, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
    """A JSON `{"detail": ...}` response, sent without touching the request body."""
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})
