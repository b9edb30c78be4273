"""GET /api/models: the language models staff may pick for `composer: llm` (never their keys or URLs' secrets)."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.auth import UserDep
from service.api.deps import AnswererDep
from service.api.schemas import ModelOut, ModelsResponse

router = APIRouter(prefix="/api", tags=["models"])


@router.get("/models")
def models(user: UserDep, answerer: AnswererDep) -> ModelsResponse:
    """Configured models (name and label) and the default one; none means only the extractive composer."""
    generators = answerer.generators
    listed = [ModelOut(name=c.name, label=c.label) for c in generators.models.values()]
    return ModelsResponse(models=listed, default=generators.default)
