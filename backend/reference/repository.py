"""Queries on districts, bureaus and functional zones."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Bureau, District, FunctionalZone


class ReferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def bureau(self, code: str) -> Bureau | None:
        return await self.session.get(Bureau, code)

    async def zone(self, code: str) -> FunctionalZone | None:
        return await self.session.get(FunctionalZone, code)

    async def bureaus(self) -> Sequence[Bureau]:
        return (await self.session.exec(select(Bureau).order_by(Bureau.district_code, Bureau.code))).all()

    async def districts(self) -> Sequence[District]:
        return (await self.session.exec(select(District).order_by(District.code))).all()

    async def zones(self) -> Sequence[FunctionalZone]:
        return (await self.session.exec(select(FunctionalZone).order_by(FunctionalZone.code))).all()
