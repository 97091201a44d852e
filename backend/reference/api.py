"""Reference data: bureaus, districts, functional zones (public, the same for every user)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from backend.core.db import SessionDep
from backend.models import Bureau, District, FunctionalZone
from backend.reference import service as reference

router = APIRouter(prefix="/api", tags=["reference"])


@router.get("/bureaus", response_model=list[Bureau])
async def list_bureaus(session: SessionDep) -> Sequence[Bureau]:
    """The 19 review bureaus (16 districts + 经开区, 保税区, 高新区)."""
    return await reference.bureaus(session)


@router.get("/districts", response_model=list[District])
async def list_districts(session: SessionDep) -> Sequence[District]:
    """The 16 districts of Tianjin with the groupings used in city bulletins."""
    return await reference.districts(session)


@router.get("/functional-zones", response_model=list[FunctionalZone])
async def list_zones(session: SessionDep) -> Sequence[FunctionalZone]:
    """The functional zones of 滨海新区 and the bureau that reviews each."""
    return await reference.zones(session)
