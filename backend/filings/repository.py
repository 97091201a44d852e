"""Every query on filings and their append-only revisions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.provenance import with_origin
from backend.models import Filing, FilingRevision

RevisionRow = tuple[FilingRevision, str | None, str | None]  # revision, username, file name


class FilingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, firm_id: int, fiscal_year: int, *, for_update: bool = False) -> Filing | None:
        statement = select(Filing).where(Filing.firm_id == firm_id, Filing.fiscal_year == fiscal_year)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.exec(statement)).one_or_none()

    async def current(self, firm_id: int) -> Sequence[tuple[FilingRevision, str | None, str | None, Filing]]:
        """Each fiscal year's filing with its current revision, newest year first."""
        statement = (
            with_origin(FilingRevision)
            .add_columns(Filing)
            .join(
                Filing,
                (col(FilingRevision.filing_id) == col(Filing.id))
                & (col(FilingRevision.revision_no) == col(Filing.current_revision_no)),
            )
            .where(Filing.firm_id == firm_id)
            .order_by(col(Filing.fiscal_year).desc())
        )
        rows: Sequence[tuple[FilingRevision, str | None, str | None, Filing]] = (
            await self.session.exec(statement)
        ).all()
        return rows

    async def revisions(self, filing_id: int) -> Sequence[RevisionRow]:
        statement = (
            with_origin(FilingRevision)
            .where(FilingRevision.filing_id == filing_id)
            .order_by(col(FilingRevision.revision_no))
        )
        rows: Sequence[RevisionRow] = (await self.session.exec(statement)).all()
        return rows

    async def revision(self, filing_id: int, revision_no: int) -> FilingRevision:
        statement = select(FilingRevision).where(
            FilingRevision.filing_id == filing_id, FilingRevision.revision_no == revision_no
        )
        return (await self.session.exec(statement)).one()

    def add(self, row: Filing | FilingRevision) -> None:
        self.session.add(row)
