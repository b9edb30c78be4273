"""What a user may see, and the record of what they did: every route that reads documents restricts its
filters with `restricted`, checks single documents with `can_see`, and records its use with `record`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import Request

from kotae.auth import User
from service.audit import AuditLog, Event
from service.filters import Filters, parse_filters


def restricted(raw_filters: dict[str, Any], user: User) -> Filters:
    """The request's filters, limited to the documents `user` may see (raises FilterError for bad filters)."""
    return replace(parse_filters(raw_filters), access_groups=user.visible_groups())


def can_see(user: User, document_groups: tuple[str, ...] | list[str]) -> bool:
    """Whether `user` may see a document with these access groups."""
    visible = user.visible_groups()
    return visible is None or bool(set(visible) & set(document_groups))


def record(request: Request, user: User, action: str, status: str, **fields: Any) -> None:
    """Append to the audit log (who, what, how it ended)."""
    audit: AuditLog = request.app.state.audit
    audit.record(Event(user=user.name, groups=user.groups, action=action, status=status, **fields))


def status_of(exc: Exception) -> str:
    """How a failed request ends, for the audit log."""
    detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
    return f"error: {detail}"[:500]
