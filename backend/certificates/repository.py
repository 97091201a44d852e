"""Queries on certificates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Certificate


class CertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_firm(self, firm_id: int) -> Sequence[Certificate]:
        statement = (
            select(Certificate)
            .where(Certificate.firm_id == firm_id)
            .order_by(col(Certificate.kind), col(Certificate.issued_on).desc())
        )
        return (await self.session.exec(statement)).all()
