"""The registry's counts that district targets are measured against, grouped in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.driver import driver_connection

# A record that was admitted stays counted for the time it was held: a revoked or expired one
# has its end date in valid_to.
WAS_ADMITTED = "('admitted', 'revoked', 'expired')"


@dataclass(frozen=True)
class TierCount:
    bureau_code: str
    tier: str
    new: int  # admitted with this application year
    cumulative: int  # admitted in this year or before (distinct firms)
    held: int  # holding the tier on the as-of day


class TargetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tier_counts(self, year: int, as_of: date) -> list[TierCount]:
        """Per bureau (the firm's current one) and tier: new in ``year``, cumulative, held on ``as_of``."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT f.bureau_code, t.tier, "
            "count(DISTINCT t.firm_id) FILTER (WHERE t.year = $1) AS new, "
            "count(DISTINCT t.firm_id) AS cumulative, "
            "count(DISTINCT t.firm_id) FILTER (WHERE COALESCE(t.valid_from, make_date(t.year, 1, 1)) <= $2 "
            "  AND (t.valid_to IS NULL OR t.valid_to >= $2)) AS held "
            f"FROM tier_status t JOIN firm f ON f.id = t.firm_id WHERE t.state IN {WAS_ADMITTED} AND t.year <= $1 "
            "GROUP BY f.bureau_code, t.tier",
            year,
            as_of,
        )
        return [
            TierCount(r["bureau_code"], r["tier"], int(r["new"]), int(r["cumulative"]), int(r["held"]))
            for r in rows
        ]

    async def valid_hte(self, as_of: date) -> dict[str, int]:
        """Firms per bureau holding a valid 国家高新技术企业 certificate on ``as_of``."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT f.bureau_code, count(DISTINCT c.firm_id) AS firms FROM certificate c JOIN firm f ON f.id = c.firm_id "
            "WHERE c.kind = 'hte' AND c.status = 'active' AND c.issued_on <= $1 "
            "AND (c.expires_on IS NULL OR c.expires_on >= $1) GROUP BY f.bureau_code",
            as_of,
        )
        return {r["bureau_code"]: int(r["firms"]) for r in rows}
