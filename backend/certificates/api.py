"""A firm's certificates."""

from __future__ import annotations

from fastapi import APIRouter

from backend.auth.deps import ActorDep
from backend.certificates import service as certificate_service
from backend.certificates.schemas import CertificateRead
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.firms.params import UsccPath

router = APIRouter(prefix="/api/firms/{uscc}/certificates", tags=["certificates"])


@router.get("", response_model=list[CertificateRead], responses=error_responses(401, 404, 422))
async def list_certificates(uscc: UsccPath, session: SessionDep, actor: ActorDep) -> list[CertificateRead]:
    """Certificates with their validity today (高企 3 years, 科小 yearly …)."""
    return await certificate_service.firm_certificates(session, actor, uscc)
