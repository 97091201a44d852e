"""A firm's tier history: each tier and year with every state it went through."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.firms import service as firm_service
from backend.models import TIER_LABELS, Tier
from backend.tiers.repository import TierRepository
from backend.tiers.schemas import TierStatusRead, TierTransitionRead


async def tier_history(session: AsyncSession, actor: Actor, raw_uscc: str) -> list[TierStatusRead]:
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    statuses: dict[int, TierStatusRead] = {}
    for status, transition in await TierRepository(session).history(firm.id):
        assert status.id is not None
        read = statuses.setdefault(
            status.id,
            TierStatusRead(
                tier=status.tier,
                tier_label=TIER_LABELS[Tier(status.tier)],
                year=status.year,
                state=status.state,
                batch_label=status.batch_label,
                admission_no=status.admission_no,
                valid_from=status.valid_from,
                valid_to=status.valid_to,
                transitions=[],
            ),
        )
        read.transitions.append(
            TierTransitionRead(
                from_state=transition.from_state,
                to_state=transition.to_state,
                actor=transition.actor_label,
                reason=transition.reason,
                at=transition.at,
            )
        )
    return list(statuses.values())
