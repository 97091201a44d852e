"""From the database to the rules' raw inputs, in chunks of firms."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.evaluations.repository import FactsRepository
from rules.derive import RawInputs

WINDOW_YEARS = 4  # filing, filing_y1 … filing_y3


async def load_raw(session: AsyncSession, firm_ids: Sequence[int], year: int) -> RawInputs:
    """Registry records of ``firm_ids`` for evaluating application year ``year``."""
    repo = FactsRepository(session)
    first, last = year - WINDOW_YEARS, year - 1
    return RawInputs(
        firms=await repo.firms(firm_ids),
        filings=await repo.filings(firm_ids, first, last),
        certificates=await repo.certificates(firm_ids),
        tiers=await repo.tiers(firm_ids),
        awards=await repo.awards(firm_ids),
        business=await repo.business(firm_ids),  # the linked registers correct declared facts
        ip=await repo.ip_counts(firm_ids, first, last),
    )
