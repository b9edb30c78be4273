"""Cross-origin state changes are refused. A browser sends the session cookie (and passes through the city's
sign-in proxy) for requests that another page starts, and SameSite=Strict does not stop a page of the same
*site* — another port on the same host, another name under the same domain. So every POST, PUT, PATCH and
DELETE not signed by an `Authorization: Bearer` token (which no other page can make a browser send) must show
that this app's own pages sent it:

- `Sec-Fetch-Site`, when present, must be `same-origin` (or `none`: the user typed it);
- `Origin`, when present, must be this request's own origin (scheme + Host header);
- a request that a session cookie signs in must carry at least one of the two (browsers send both on a
  fetch or form POST; without either it cannot be told apart from a forged one, so it is refused).

This holds in every auth mode: with KOTAE_AUTH=off every request is the local admin, so without it any web page
could drive the admin API. Scripts and the CLI are unaffected (they send neither header, or a Bearer token).
"""

from __future__ import annotations

import json

from starlette.requests import Request

from kotae.settings import AuthSettings
from service.api.auth import SESSION_COOKIE, request_scheme
from service.limits import ASGIApp, Receive, Scope, Send

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


class CrossOriginGuard:
    """ASGI middleware: 403 with a one-line reason for a state change another origin started."""

    def __init__(self, app: ASGIApp, auth: AuthSettings) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            reason = refusal(Request(scope), self.auth)
            if reason is not None:
                await _refuse(send, reason)
                return
        await self.app(scope, receive, send)


def refusal(request: Request, auth: AuthSettings) -> str | None:
    """Why this state-changing request is refused, or None when it may go ahead."""
    if auth.mode == "on" and request.headers.get("authorization", "").lower().startswith("bearer "):
        return None  # a token, not the browser's ambient credentials, signs it in
    site = request.headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in ALLOWED_FETCH_SITES:
        return f"refused: the request came from another site or origin (Sec-Fetch-Site: {site[:40]})"
    origin = request.headers.get("origin")
    if origin is not None and _normal(origin) != own_origin(request, auth):
        return f"refused: the request came from another origin ({origin[:100]})"
    if site is None and origin is None and auth.mode == "on" and SESSION_COOKIE in request.cookies:
        return "refused: a signed-in browser request must carry an Origin or Sec-Fetch-Site header"
    return None


def own_origin(request: Request, auth: AuthSettings) -> str:
    """`scheme://host[:port]` as the browser addressed this service (the Host header it sent)."""
    return _normal(f"{request_scheme(request, auth)}://{request.headers.get('host', '')}")


def _normal(origin: str) -> str:
    """An origin in one spelling: lower case, without the scheme's default port (browsers leave it out of
    Origin; a proxy may leave it in Host)."""
    origin = origin.strip().lower()
    for scheme, port in (("http://", ":80"), ("https://", ":443")):
        if origin.startswith(scheme) and origin.endswith(port):
            return origin[: -len(port)]
    return origin


async def _refuse(send: Send, reason: str) -> None:
    body = json.dumps({"detail": reason}).encode("utf-8")
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
