"""Our errors as HTTP errors: one mapping for every route, so a reason always reaches the caller."""

from __future__ import annotations

import logging

from fastapi import HTTPException

from kotae.errors import GeneratorError, GeneratorTimeout, PolicyError, StoreError
from service.compose.guard import PersonalInfoBlocked
from service.filters import FilterError
from service.generators import ModelChoiceError

log = logging.getLogger(__name__)
STORE_UNAVAILABLE = "the index is unavailable right now (its store did not answer); try again in a moment"


def http_error(exc: Exception) -> Exception:
    """The HTTPException for one of our errors; any other exception is returned unchanged (a real bug: 500)."""
    if isinstance(exc, (FilterError, ValueError, PersonalInfoBlocked)):
        return HTTPException(status_code=422, detail=str(exc))
    if isinstance(exc, PolicyError):
        return HTTPException(status_code=403, detail=str(exc))
    if isinstance(exc, ModelChoiceError):
        return HTTPException(status_code=400, detail=str(exc))
    if isinstance(exc, GeneratorTimeout):
        return HTTPException(status_code=504, detail=str(exc))
    if isinstance(exc, GeneratorError):
        return HTTPException(status_code=502, detail=str(exc))
    if isinstance(exc, StoreError):  # e.g. a Chroma server restarting; its address stays in the log
        log.error("store error: %s", exc)
        return HTTPException(status_code=503, detail=STORE_UNAVAILABLE)
    return exc
