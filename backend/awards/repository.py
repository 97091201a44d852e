"""Every statement of the award domain: the set-based computation, locked reads, transitions, lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from backend.core.driver import driver_connection
from backend.models import Award, AwardBudget, AwardEvent, AwardExclusion, Firm

COMPUTE_LOCK = 0x7469_6475_0003  # pg_advisory_xact_lock key of award computations ("tidu" 3)
# The states whose money is committed: approving past the budget warns.
COMMITTED_STATES = ("approved", "exported", "paid")


@dataclass(frozen=True)
class Scope:
    """Which awards a query may see: every one (all None), a bureau's or a firm's."""

    bureau_code: str | None = None
    firm_id: int | None = None


@dataclass(frozen=True)
class AwardFilter:
    year: int | None = None
    program: str | None = None
    state: str | None = None
    bureau: str | None = None


_CANDIDATES = """
CREATE TEMP TABLE award_candidate ON COMMIT DROP AS
SELECT l.firm_id, l.program, l.year, e.id AS evaluation_id, e.amount_yuan, e.ruleset_hash,
       COALESCE((rv.document->>'once_per_firm')::boolean, false) AS once_per_firm, f.bureau_code,
       a.id AS live_id, a.amount_yuan AS live_amount, a.state AS live_state, NULL::text AS verdict
FROM evaluation_latest l
JOIN evaluation e ON e.id = l.evaluation_id
JOIN ruleset_version rv ON rv.content_hash = e.ruleset_hash
JOIN firm f ON f.id = l.firm_id
LEFT JOIN award a ON a.firm_id = l.firm_id AND a.program = l.program AND a.year = l.year
                 AND a.state <> 'superseded'
WHERE l.year = $1 AND l.program = ANY($2::text[])
  AND l.outcome = 'eligible' AND e.outcome = 'eligible' AND e.amount_yuan > 0
"""

# Fail closed: only eligible decisions with an amount got this far. Then, in this order:
# excluded firms, an existing live award (same amount, a computed one to correct, or a reviewed
# one a person must correct), a once-per-firm program already awarded, else a new award.
_VERDICTS = """
UPDATE award_candidate c SET verdict = CASE
  WHEN EXISTS (SELECT 1 FROM award_exclusion x WHERE x.firm_id = c.firm_id
               AND (x.program IS NULL OR x.program = c.program)
               AND x.from_year <= c.year AND (x.to_year IS NULL OR x.to_year >= c.year)) THEN 'excluded'
  WHEN c.live_id IS NOT NULL AND c.live_amount = c.amount_yuan THEN 'unchanged'
  WHEN c.live_id IS NOT NULL AND c.live_state = 'computed' THEN 'corrected'
  WHEN c.live_id IS NOT NULL THEN 'conflict'
  WHEN c.once_per_firm AND EXISTS (SELECT 1 FROM award o WHERE o.firm_id = c.firm_id AND o.program = c.program
                                   AND o.state NOT IN ('superseded', 'rejected')) THEN 'once_per_firm'
  ELSE 'create' END
"""

_RECOMPUTED = "format('重新计算：金额由 %s 元变为 %s 元', c.live_amount, c.amount_yuan)"

_SUPERSEDE = f"""
WITH old AS (
  UPDATE award a SET state = 'superseded', updated_at = now()
  FROM award_candidate c WHERE c.verdict = 'corrected' AND a.id = c.live_id AND a.state = 'computed'
  RETURNING a.id, {_RECOMPUTED} AS reason
)
INSERT INTO award_event (award_id, from_state, to_state, actor_id, actor_label, reason, at)
SELECT id, 'computed', 'superseded', $1, $2, reason, now() FROM old
"""

_INSERT = f"""
WITH new AS (
  INSERT INTO award (firm_id, program, year, amount_yuan, state, bureau_code, once_per_firm, evaluation_id,
                     ruleset_hash, corrects_id, reason, created_at, updated_at)
  SELECT c.firm_id, c.program, c.year, c.amount_yuan, 'computed', c.bureau_code, c.once_per_firm, c.evaluation_id,
         c.ruleset_hash, CASE WHEN c.verdict = 'corrected' THEN c.live_id END,
         CASE WHEN c.verdict = 'corrected' THEN {_RECOMPUTED} END, now(), now()
  FROM award_candidate c WHERE c.verdict IN ('create', 'corrected')
  ORDER BY c.program, c.firm_id
  RETURNING id, reason
)
INSERT INTO award_event (award_id, from_state, to_state, actor_id, actor_label, reason, at)
SELECT id, NULL, 'computed', $1, $2, COALESCE(reason, '按评价结果计算'), now() FROM new
"""

_CONFLICTS = """
SELECT c.live_id AS award_id, f.uscc, f.name AS firm_name, c.program, c.year, c.live_state AS state,
       c.live_amount AS amount_yuan, c.amount_yuan AS computed_amount_yuan
FROM award_candidate c JOIN firm f ON f.id = c.firm_id
WHERE c.verdict = 'conflict' ORDER BY c.program, f.uscc
"""


class AwardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _db(self) -> asyncpg.Connection:
        return await driver_connection(self.session)

    # -- computation ----------------------------------------------------------------------------------

    async def compute(
        self, year: int, programs: Sequence[str], actor_id: int | None, actor_label: str
    ) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """Classify every eligible decision of ``year``, then write corrections and new awards in bulk.

        Returns the count per verdict and the conflicts (reviewed awards whose amount changed).
        """
        db = await self._db()
        await db.execute("SELECT pg_advisory_xact_lock($1)", COMPUTE_LOCK)
        # Whole-year joins of 10^5 rows: hash joins always. Statistics of freshly filled tables
        # (an evaluation run just before) can say "one row" and make a nested loop quadratic.
        nestloop = await db.fetchval("SELECT current_setting('enable_nestloop')")
        await db.execute("SET LOCAL enable_nestloop = off")
        await db.execute("DROP TABLE IF EXISTS award_candidate")
        await db.execute(_CANDIDATES, year, list(programs))
        await db.execute("ANALYZE award_candidate")
        await db.execute(_VERDICTS)
        counts = {r["verdict"]: r["n"] for r in await db.fetch(
            "SELECT verdict, count(*) AS n FROM award_candidate GROUP BY verdict"
        )}  # fmt: skip
        conflicts = [dict(r) for r in await db.fetch(_CONFLICTS)]
        # Superseded first: the new row would otherwise be a second live award.
        await db.execute(_SUPERSEDE, actor_id, actor_label)
        await db.execute(_INSERT, actor_id, actor_label)
        await db.execute("DROP TABLE award_candidate")
        await db.execute("SELECT set_config('enable_nestloop', $1, true)", nestloop)
        return counts, conflicts

    # -- single awards --------------------------------------------------------------------------------

    def _scoped(self, statement: SelectOfScalar[Award], scope: Scope) -> SelectOfScalar[Award]:
        if scope.bureau_code is not None:
            statement = statement.where(Award.bureau_code == scope.bureau_code)
        if scope.firm_id is not None:
            statement = statement.where(Award.firm_id == scope.firm_id)
        return statement

    async def lock(self, ids: Sequence[int], scope: Scope) -> list[Award]:
        """The visible awards among ``ids``, locked in id order (no two transitions deadlock)."""
        statement = (
            select(Award).where(col(Award.id).in_(list(ids))).order_by(col(Award.id)).with_for_update()
        )
        return list((await self.session.exec(self._scoped(statement, scope))).all())

    async def get(self, award_id: int, scope: Scope) -> Award | None:
        statement = self._scoped(select(Award).where(Award.id == award_id), scope)
        return (await self.session.exec(statement)).one_or_none()

    async def firm(self, firm_id: int) -> Firm | None:
        return await self.session.get(Firm, firm_id)

    async def firms(self, firm_ids: Sequence[int]) -> dict[int, Firm]:
        """The firms of ``firm_ids`` by id (for lists that show each award's firm)."""
        if not firm_ids:
            return {}
        rows = await self.session.exec(select(Firm).where(col(Firm.id).in_(list(firm_ids))))
        return {firm.id: firm for firm in rows.all() if firm.id is not None}

    async def firm_by_uscc(self, uscc: str) -> Firm | None:
        return (await self.session.exec(select(Firm).where(Firm.uscc == uscc))).one_or_none()

    async def corrected_by(self, award_id: int) -> Award | None:
        return (await self.session.exec(select(Award).where(Award.corrects_id == award_id))).one_or_none()

    async def events(self, award_ids: Sequence[int]) -> list[AwardEvent]:
        statement = (
            select(AwardEvent)
            .where(col(AwardEvent.award_id).in_(list(award_ids)))
            .order_by(col(AwardEvent.at), col(AwardEvent.id))
        )
        return list((await self.session.exec(statement)).all())

    def add(self, row: Award | AwardEvent | AwardBudget | AwardExclusion) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def page(
        self, scope: Scope, where: AwardFilter, *, offset: int, limit: int
    ) -> tuple[list[Award], int]:
        statement = self._scoped(select(Award), scope).where(Award.state != "superseded")
        if where.year is not None:
            statement = statement.where(Award.year == where.year)
        if where.program is not None:
            statement = statement.where(Award.program == where.program)
        if where.state is not None:
            statement = statement.where(Award.state == where.state)
        if where.bureau is not None:
            statement = statement.where(Award.bureau_code == where.bureau)
        total = (await self.session.exec(select(func.count()).select_from(statement.subquery()))).one()
        ordered = statement.order_by(col(Award.year).desc(), col(Award.program), col(Award.id))
        return list((await self.session.exec(ordered.offset(offset).limit(limit))).all()), total

    # -- money ------------------------------------------------------------------------------------------

    async def committed_totals(self, keys: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
        """Per (program, year): the approved+exported+paid total and the budget (None: none set)."""
        db = await self._db()
        rows = await db.fetch(
            "SELECT k.program, k.year, b.amount_yuan AS budget_yuan, "
            "COALESCE((SELECT sum(a.amount_yuan) FROM award a WHERE a.program = k.program AND a.year = k.year "
            "          AND a.state = ANY($3::text[])), 0)::bigint AS committed_yuan "
            "FROM unnest($1::text[], $2::int[]) AS k(program, year) "
            "LEFT JOIN award_budget b ON b.program = k.program AND b.year = k.year ORDER BY k.program, k.year",
            [k[0] for k in keys],
            [k[1] for k in keys],
            list(COMMITTED_STATES),
        )
        return [dict(r) for r in rows]

    async def budget(self, program: str, year: int) -> AwardBudget | None:
        statement = select(AwardBudget).where(AwardBudget.program == program, AwardBudget.year == year)
        return (await self.session.exec(statement.with_for_update())).one_or_none()

    async def budgets(self, year: int) -> dict[str, AwardBudget]:
        rows = (await self.session.exec(select(AwardBudget).where(AwardBudget.year == year))).all()
        return {b.program: b for b in rows}

    async def state_totals(self, year: int, scope: Scope) -> list[dict[str, Any]]:
        """(program, state, count, sum) for ``year`` within ``scope``; superseded rows left out."""
        db = await self._db()
        rows = await db.fetch(
            "SELECT program, state, count(*) AS n, COALESCE(sum(amount_yuan), 0)::bigint AS yuan FROM award "
            "WHERE year = $1 AND state <> 'superseded' AND ($2::text IS NULL OR bureau_code = $2) "
            "AND ($3::bigint IS NULL OR firm_id = $3) GROUP BY program, state ORDER BY program, state",
            year,
            scope.bureau_code,
            scope.firm_id,
        )
        return [dict(r) for r in rows]

    # -- exclusions ---------------------------------------------------------------------------------------

    async def exclusions(self, firm_id: int | None = None) -> list[tuple[AwardExclusion, Firm]]:
        statement = select(AwardExclusion, Firm).join(Firm, col(Firm.id) == AwardExclusion.firm_id)
        if firm_id is not None:
            statement = statement.where(AwardExclusion.firm_id == firm_id)
        rows = await self.session.exec(statement.order_by(col(AwardExclusion.id)))
        return [(exclusion, firm) for exclusion, firm in rows.all()]

    async def exclusion(self, exclusion_id: int) -> AwardExclusion | None:
        return await self.session.get(AwardExclusion, exclusion_id)

    async def delete(self, row: AwardExclusion) -> None:
        await self.session.delete(row)
