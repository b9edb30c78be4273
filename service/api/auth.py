"""Who is asking. KOTAE_AUTH=off: everyone is the local admin (the single-user embedded run). on: an API token
(`Authorization: Bearer …`) or the web login's session cookie. header: a trusted reverse proxy passes the
user and groups in headers. Routes declare `UserDep` (401 when nobody is signed in) or `AdminDep` (403 for
non-admins); `POST /api/login`, `POST /api/logout` and `GET /api/me` are here."""

from __future__ import annotations

import hmac
import math
import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kotae.auth import EVERYONE, LOCAL_USER, User, UserStore, parse_groups
from kotae.settings import AuthSettings, Settings
from service.audit import AuditLog, Event
from service.ratelimit import RateLimiter

SESSION_COOKIE = "kotae_session"
router = APIRouter(prefix="/api", tags=["auth"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def current_user(request: Request) -> User | None:
    """The signed-in user, or None (anonymous)."""
    auth = _settings(request).auth
    if _is_control(request):
        return CLI_USER
    if auth.mode == "off":
        return LOCAL_USER
    if auth.mode == "header":
        # The socket's peer, never an address from a header: `kotae serve` runs uvicorn without proxy-header
        # rewriting, so one X-Forwarded-For header cannot make a request look as if it came from the proxy.
        name = _header(request, auth.header_user)
        if not auth.trusts(peer_host(request)) or not name:
            return None
        groups = tuple(parse_groups(_header(request, auth.header_groups)))
        return User(name, "admin" if auth.admin_group in groups else "staff", groups)
    users: UserStore = request.app.state.users
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return users.by_token(header[7:].strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    return users.by_session(cookie) if cookie else None


# `kotae ingest` on the server's machine, handing its run over to the server: it proved it may use the store by
# reading the server's control secret from the store's lock file, which only the store's owner can read.
CLI_USER = User("kotae-cli", "admin")


def _is_control(request: Request) -> bool:
    """Whether the request carries this server's control secret as its bearer token."""
    header = request.headers.get("authorization", "")
    secret: str | None = getattr(request.app.state, "control_token", None)
    return bool(secret) and header.lower().startswith("bearer ") and hmac.compare_digest(
        header[7:].strip().encode("utf-8", "replace"), str(secret).encode("utf-8"))


def peer_host(request: Request) -> str | None:
    """The address of the socket's other end (the proxy, when there is one)."""
    return request.client.host if request.client else None


def client_host(request: Request, auth: AuthSettings) -> str:
    """The client's address for rate limits: the socket's peer, or, when that is a trusted proxy, the address
    it appended to X-Forwarded-For (the last entry: earlier ones are whatever the client sent). Without this,
    everyone behind one proxy would share one limit of sign-in attempts."""
    peer = peer_host(request)
    if auth.trusts(peer):
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return peer or "?"


def request_scheme(request: Request, auth: AuthSettings) -> str:
    """http or https as the browser used it: the proxy's X-Forwarded-Proto when the peer is a trusted proxy
    (it terminates TLS), else the scheme of the connection itself."""
    if auth.trusts(peer_host(request)):
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return request.url.scheme


def _header(request: Request, name: str) -> str:
    """A header as the proxy wrote it: HTTP carries bytes, Starlette reads them as latin-1, proxies send UTF-8
    (人事課); undo the latin-1 reading when the bytes are UTF-8."""
    raw = request.headers.get(name, "")
    try:
        return raw.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw.strip()


def require_user(request: Request) -> User:
    """The signed-in user; 401 for anonymous requests."""
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in first (API: Authorization: Bearer TOKEN)",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def too_many(what: str, wait: float) -> HTTPException:
    """429 with the seconds to wait, in the detail and in Retry-After."""
    seconds = math.ceil(wait)
    return HTTPException(status_code=429, detail=f"too many {what}; try again in {seconds} s",
                         headers={"Retry-After": str(seconds)})


def require_user_within_rate(request: Request, user: Annotated[User, Depends(require_user)]) -> Iterator[User]:
    """The signed-in user, for the routes that search and compose (the expensive ones); 429 with Retry-After
    when they exceed KOTAE_RATE_LIMIT_PER_MINUTE. The route then runs when one of the machine's cores is free:
    more CPU-bound requests at once than cores only makes every one of them slower (measured, README)."""
    limiter: RateLimiter = request.app.state.limiter
    wait = limiter.allow(user.name)
    if wait is not None:
        raise too_many("requests", wait)
    slots: threading.BoundedSemaphore = request.app.state.compute_slots
    with slots:
        yield user


def require_admin(user: Annotated[User, Depends(require_user)]) -> User:
    """The signed-in user when an admin; 403 otherwise."""
    if not user.is_admin:
        raise HTTPException(status_code=403, detail=f"user {user.name!r} is not an admin")
    return user


UserDep = Annotated[User, Depends(require_user)]
RatedUserDep = Annotated[User, Depends(require_user_within_rate)]
AdminDep = Annotated[User, Depends(require_admin)]
MaybeUserDep = Annotated[User | None, Depends(current_user)]


class LoginRequest(BaseModel):
    """POST /api/login."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    """The signed-in user."""

    name: str
    role: str
    groups: list[str]
    auth: str


@router.post("/login")
def login(body: LoginRequest, request: Request, response: Response) -> Me:
    """Sign in to the web app with a name and password (set with `kotae user passwd`)."""
    settings = _settings(request)
    if settings.auth.mode != "on":
        raise HTTPException(status_code=400, detail=f"sign-in is not used (KOTAE_AUTH={settings.auth.mode})")
    limiter: RateLimiter = request.app.state.limiter
    host = client_host(request, settings.auth)
    for key in (f"login:{body.name}", f"login-from:{host}"):  # guessing passwords costs time, per name and per host
        wait = limiter.allow(key)
        if wait is not None:
            raise too_many("sign-in attempts", wait)
    users: UserStore = request.app.state.users
    user = users.check_password(body.name, body.password)
    audit: AuditLog = request.app.state.audit
    if user is None:
        audit.record(Event(user=body.name, groups=(), action="login", status="error: wrong user name or password"))
        raise HTTPException(status_code=401, detail="wrong user name or password")
    audit.record(Event(user=user.name, groups=user.groups, action="login", status="ok"))
    token = users.new_session(user.name, settings.auth.session_hours)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(settings.auth.session_hours * 3600), httponly=True,
                        samesite="strict", secure=request_scheme(request, settings.auth) == "https", path="/")
    return _me(user, settings)


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response) -> None:
    """End the web session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and _settings(request).auth.mode == "on":
        users: UserStore = request.app.state.users
        users.end_session(cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me")
def me(request: Request, user: UserDep) -> Me:
    """Who is signed in (the local admin when authentication is off)."""
    return _me(user, _settings(request))


def _me(user: User, settings: Settings) -> Me:
    return Me(name=user.name, role=user.role, groups=[EVERYONE, *user.groups], auth=settings.auth.mode)
