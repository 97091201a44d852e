"""Firms whose figures make a clear seedling decision."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.models import Firm
from tests.factories.filings import make_filing
from tests.factories.firms import make_firm

CLEAN = {
    "research_misconduct": False, "abnormal_operation": False, "serious_violation": False, "major_incident": False,
    "serious_fraud": False, "contest_level": "none", "st_award_level": "none", "rd_institution_level": "none",
    "standard_role": "none", "standard_level": "none", "project_level": "none", "max_single_vc_yuan": 0,
}  # fmt: skip


def last_fiscal_year() -> int:
    return clock.today().year - 1


async def seedling_firm(
    session: AsyncSession, bureau: str = "jinghai", *, name: str | None = None, **figures: Any
) -> Firm:
    """Registered 2021, last fiscal year filed: revenue 3,000,000 元 and 2 class-II IP unless overridden."""
    named = {"name": name} if name is not None else {}
    firm = await make_firm(session, bureau, registered_on=date(2021, 3, 1), **named)
    values = CLEAN | {"revenue_yuan": 3_000_000, "ip_class1": 0, "ip_class2": 2} | figures
    await make_filing(session, firm, last_fiscal_year(), **values)
    return firm
