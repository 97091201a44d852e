"""Bulk inserts for the demo registry (set-based, RETURNING ids in input order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import (
    Certificate,
    DistrictTarget,
    Filing,
    FilingRevision,
    Firm,
    FirmRevision,
    TierStatus,
    TierTransition,
)


def _uniform(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Executemany compiles its column list from the first row: give every row every key."""
    keys = {key for row in rows for key in row}
    return [dict.fromkeys(keys) | row for row in rows]


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


class DemoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Core inserts on the tables (not ORM bulk): asyncpg batches them with "insertmanyvalues".
    async def _insert_returning_ids(self, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        table = _table(model)
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        connection = await self.session.connection()
        result = await connection.execute(statement, _uniform(rows))
        return [row[0] for row in result.all()]

    async def _insert(self, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            connection = await self.session.connection()
            await connection.execute(insert(_table(model)), _uniform(rows))

    async def firms(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return await self._insert_returning_ids(Firm, rows)

    async def firm_revisions(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(FirmRevision, rows)

    async def filings(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return await self._insert_returning_ids(Filing, rows)

    async def filing_revisions(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(FilingRevision, rows)

    async def certificates(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(Certificate, rows)

    async def tier_statuses(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return await self._insert_returning_ids(TierStatus, rows)

    async def tier_transitions(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(TierTransition, rows)

    async def targets(self, rows: Sequence[dict[str, Any]]) -> None:
        await self._insert(DistrictTarget, rows)
