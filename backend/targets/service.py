"""What the registry measures against district targets: the one definition the dashboard and
the 区县目标进度 list share.

The registry can measure 高企 held (a stock: valid ``hte`` certificates on the cut-off day) and,
per tier, admissions in the year (``_new``), to date (``_cumulative``) and held on the day
(``_total``). Other planning metrics (R&D intensity, patents, contract turnover) have a target
and no actual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.targets.repository import TargetRepository, TierCount
from vocabulary.ladder import Tier

# The targets the registry can measure, in the order the dashboard shows them.
MEASURED_METRICS = (
    "hte_total",
    *(f"{tier}_{part}" for tier in Tier for part in ("new", "cumulative", "total")),
)
Actuals = dict[str, dict[str, int]]  # metric → bureau → figure


async def tier_counts(session: AsyncSession, year: int, as_of: date) -> list[TierCount]:
    return await TargetRepository(session).tier_counts(year, as_of)


async def target_actuals(session: AsyncSession, year: int, as_of: date) -> Actuals:
    """metric → bureau → the registry's figure on ``as_of``, for every district-target metric the
    registry can measure."""
    return await actuals_with(session, await tier_counts(session, year, as_of), as_of)


async def actuals_with(session: AsyncSession, counts: Sequence[TierCount], as_of: date) -> Actuals:
    """``target_actuals`` from tier counts already read (the dashboard draws them too)."""
    return measured(counts, await TargetRepository(session).valid_hte(as_of))


def measured(counts: Sequence[TierCount], hte: dict[str, int]) -> Actuals:
    """metric → bureau → the registry's figure, for every metric the registry can measure (an
    empty mapping, not a missing one, when no bureau has any)."""
    actuals: Actuals = {metric: {} for metric in MEASURED_METRICS}
    for c in counts:
        actuals[f"{c.tier}_new"][c.bureau_code] = c.new
        actuals[f"{c.tier}_cumulative"][c.bureau_code] = c.cumulative
        actuals[f"{c.tier}_total"][c.bureau_code] = c.held
    actuals["hte_total"] = dict(hte)
    return actuals
