"""A firm's dossier under the firms API: ``GET /api/firms/{uscc}``."""

from __future__ import annotations

from fastapi import APIRouter

from backend.auth.deps import ActorDep
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.dossiers import service as dossier_service
from backend.dossiers.schemas import FirmDetail
from backend.firms.params import UsccPath

router = APIRouter(prefix="/api/firms", tags=["firms"])


@router.get("/{uscc}", response_model=FirmDetail, responses=error_responses(401, 404, 422))
async def read_firm(uscc: UsccPath, session: SessionDep, actor: ActorDep) -> FirmDetail:
    """One firm with its current filings, certificates and tier history."""
    return await dossier_service.firm_detail(session, actor, uscc)
