"""From the database to the rules' raw inputs: frames for chunks of firms, plain rows for one firm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.evaluations.repository import FactsRepository
from backend.models import Firm
from rules.derive import RawInputs
from rules.one_firm import FirmRecords

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


async def load_firm(session: AsyncSession, firm: Firm, year: int) -> FirmRecords:
    """One firm's registry records for evaluating application year ``year`` (the same queries, one round trip).

    The firm itself is the row the caller already read to check the user may see it.
    """
    repo = FactsRepository(session)
    assert firm.id is not None
    found = await repo.record_rows(firm.id, year - WINDOW_YEARS, year - 1)

    def rows(kind: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        return [dict(zip(columns[1:], values[1:], strict=True)) for values in found[kind]]

    attributes = {
        "uscc": firm.uscc, "name": firm.name, "registered_on": firm.registered_on, "bureau": firm.bureau_code,
        "district": firm.district_code, "zone": firm.functional_zone, "tech_field": firm.tech_field,
    }  # fmt: skip
    return FirmRecords(
        attributes,
        rows("filings", repo.FILING),
        rows("certificates", repo.CERTIFICATE),
        rows("tiers", repo.TIER),
        rows("awards", repo.AWARD),
        business=rows("business", repo.BUSINESS),
        ip=rows("ip", repo.IP),
    )
