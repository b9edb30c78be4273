"""The web pages: GET / (staff) and GET /admin, plain HTML/CSS/JS from service/web/static (no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def staff_page() -> FileResponse:
    """Ask a question or draft a 答弁案."""
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.api_route("/login", methods=["GET", "HEAD"])
def login_page() -> FileResponse:
    """Sign in (KOTAE_AUTH=on)."""
    return FileResponse(STATIC / "login.html", media_type="text/html; charset=utf-8")


@router.api_route("/admin", methods=["GET", "HEAD"])
def admin_page() -> FileResponse:
    """Documents, uploads and ingestion."""
    return FileResponse(STATIC / "admin.html", media_type="text/html; charset=utf-8")
