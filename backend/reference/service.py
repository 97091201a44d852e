"""Reference data: the 19 review bureaus, 16 districts and the functional zones of 滨海新区."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.errors import Unprocessable
from backend.models import Bureau, District, FunctionalZone
from backend.reference.repository import ReferenceRepository


async def require_bureau(session: AsyncSession, code: str, *, field: str = "bureau_code") -> Bureau:
    bureau = await ReferenceRepository(session).bureau(code)
    if bureau is None:
        raise Unprocessable(
            field, code, f"审查单位“{code}”不存在（应为19个审查单位代码之一，如 jinghai、teda）"
        )
    return bureau


async def require_zone_of(session: AsyncSession, code: str, bureau: Bureau) -> FunctionalZone:
    """A functional zone that exists and is reviewed by ``bureau`` (东疆、生态城 → 滨海新区科技局)."""
    zone = await ReferenceRepository(session).zone(code)
    if zone is None:
        raise Unprocessable(
            "functional_zone", code, f"功能区“{code}”不存在（teda、bonded、hightech、dongjiang、ecocity）"
        )
    if zone.review_bureau_code != bureau.code:
        raise Unprocessable(
            "functional_zone",
            code,
            f"功能区“{zone.name}”的企业由 {zone.review_bureau_code} 审查，不属于 {bureau.name}",
        )
    return zone


async def bureaus(session: AsyncSession) -> Sequence[Bureau]:
    return await ReferenceRepository(session).bureaus()


async def districts(session: AsyncSession) -> Sequence[District]:
    return await ReferenceRepository(session).districts()


async def zones(session: AsyncSession) -> Sequence[FunctionalZone]:
    return await ReferenceRepository(session).zones()
