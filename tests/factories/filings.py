"""Filings through the filing service."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.filings import service as filing_service
from backend.filings.schemas import FilingCreate, FilingRead
from backend.models import Firm
from tests.factories.firms import OPERATOR

TYPICAL = {
    "revenue_yuan": 8_000_000,
    "rd_expense_yuan": 480_000,
    "employees": 40,
    "tech_staff": 12,
    "ip_class2": 3,
}


async def make_filing(
    session: AsyncSession, firm: Firm, fiscal_year: int = 2024, **figures: Any
) -> FilingRead:
    data = FilingCreate(fiscal_year=fiscal_year, **(TYPICAL | figures))
    return await filing_service.create_filing(session, OPERATOR, firm.uscc, data)
