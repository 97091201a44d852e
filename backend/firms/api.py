"""Firm search, registration, changes and history (one firm in full: ``backend.dossiers``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.auth.deps import ActorDep
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.core.pagination import Page, PageParams
from backend.core.params import PageQuery, SizeQuery
from backend.firms import service as firm_service
from backend.firms.params import UsccPath
from backend.firms.repository import FirmFilter
from backend.firms.schemas import FirmCreate, FirmRead, FirmRevisionRead, FirmSummary, FirmUpdate
from vocabulary.ladder import Tier

router = APIRouter(prefix="/api/firms", tags=["firms"])


@router.get("", response_model=Page[FirmSummary], responses=error_responses(401, 422))
async def search_firms(
    session: SessionDep,
    actor: ActorDep,
    uscc: Annotated[str | None, Query(max_length=18, description="统一社会信用代码或其开头部分")] = None,
    q: Annotated[str | None, Query(max_length=100, description="企业名称中的片段")] = None,
    bureau: Annotated[str | None, Query(max_length=16, description="审查单位代码，如 jinghai")] = None,
    tier: Annotated[Tier | None, Query(description="当前所在梯度")] = None,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[FirmSummary]:
    """Firms in the caller's scope matching every given filter."""
    where = FirmFilter(uscc_prefix=uscc, name_fragment=q, bureau_code=bureau, tier=tier)
    return await firm_service.search(session, actor, where, PageParams(page=page, size=size))


@router.post("", status_code=201, response_model=FirmRead, responses=error_responses(401, 403, 409, 422))
async def register_firm(body: FirmCreate, session: SessionDep, actor: ActorDep) -> FirmRead:
    """Register a firm (bureau users: in their own bureau only)."""
    firm = await firm_service.register_firm(session, actor, body)
    return firm_service.to_read(firm)


@router.patch("/{uscc}", response_model=FirmRead, responses=error_responses(401, 403, 404, 422))
async def update_firm(uscc: UsccPath, body: FirmUpdate, session: SessionDep, actor: ActorDep) -> FirmRead:
    """Change a firm's name, bureau or other identity fields; the old values stay in its history."""
    firm = await firm_service.update_firm(session, actor, uscc, body)
    return firm_service.to_read(firm)


@router.get(
    "/{uscc}/history", response_model=list[FirmRevisionRead], responses=error_responses(401, 404, 422)
)
async def firm_history(uscc: UsccPath, session: SessionDep, actor: ActorDep) -> list[FirmRevisionRead]:
    """Every revision of the firm's identity (name, bureau, district …), oldest first."""
    return await firm_service.history(session, actor, uscc)
