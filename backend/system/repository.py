"""Whole-registry counts and the database's own description."""

from __future__ import annotations

from sqlalchemy import func, text
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Certificate, Filing, FilingRevision, Firm, TierStatus, User

COUNTED: dict[str, type[SQLModel]] = {
    "firms": Firm,
    "filings": Filing,
    "revisions": FilingRevision,
    "certificates": Certificate,
    "tier_statuses": TierStatus,
    "users": User,
}


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counts(self) -> dict[str, int]:
        counts = {}
        for name, model in COUNTED.items():
            counts[name] = int((await self.session.exec(select(func.count()).select_from(model))).one())
        return counts

    async def server_version(self) -> str:
        connection = await self.session.connection()
        return str((await connection.execute(text("SHOW server_version"))).scalar_one())

    async def ping(self) -> bool:
        connection = await self.session.connection()
        return bool((await connection.execute(text("SELECT 1"))).scalar_one() == 1)
