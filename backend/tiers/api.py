"""A firm's tier history."""

from __future__ import annotations

from fastapi import APIRouter

from backend.auth.deps import ActorDep
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.tiers import service as tier_service
from backend.tiers.schemas import TierStatusRead

router = APIRouter(prefix="/api/firms/{uscc}/tiers", tags=["tiers"])


@router.get("", response_model=list[TierStatusRead], responses=error_responses(401, 404, 422))
async def tier_history(uscc: str, session: SessionDep, actor: ActorDep) -> list[TierStatusRead]:
    """Each tier and year the firm was considered for, with every state change."""
    return await tier_service.tier_history(session, actor, uscc)
