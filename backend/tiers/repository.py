"""Queries on tier status and transitions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import TierStatus, TierTransition


class TierRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def history(self, firm_id: int) -> Sequence[tuple[TierStatus, TierTransition]]:
        statement = (
            select(TierStatus, TierTransition)
            .join(TierTransition, col(TierTransition.tier_status_id) == col(TierStatus.id))
            .where(TierStatus.firm_id == firm_id)
            .order_by(
                col(TierStatus.year), col(TierStatus.id), col(TierTransition.at), col(TierTransition.id)
            )
        )
        return (await self.session.exec(statement)).all()
