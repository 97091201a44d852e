"""One firm on one page: identity, current filings, certificates and tier history.

Composed here, above the firms package, because filings, certificates and tiers all stand on
firms: firms itself cannot ask them.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.certificates import service as certificate_service
from backend.core.security import Actor
from backend.dossiers.schemas import FirmDetail
from backend.filings import service as filing_service
from backend.firms import service as firm_service
from backend.tiers import service as tier_service


async def firm_detail(session: AsyncSession, actor: Actor, raw_uscc: str) -> FirmDetail:
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    filings = await filing_service.current_filings(session, actor, firm.uscc) if actor.reads_filings else None
    return FirmDetail(
        firm=firm_service.to_read(firm),
        filings=filings,
        certificates=await certificate_service.firm_certificates(session, actor, firm.uscc),
        tiers=await tier_service.tier_history(session, actor, firm.uscc),
    )
