"""Queries on admission batches, tier status, transitions and objections."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.security import Actor
from backend.firms.repository import scope_conditions
from backend.models import (
    Bureau,
    Evaluation,
    EvaluationLatest,
    Firm,
    Objection,
    RulesetVersion,
    TierBatch,
    TierStatus,
    TierTransition,
)
from vocabulary.ladder import Tier
from vocabulary.states import TierState

TIER_ORDER = case({tier.value: rank for rank, tier in enumerate(Tier)}, value=col(TierStatus.tier))
BATCH_LOCK = 0x7469  # pg_advisory_xact_lock(key, year): batches of a year are numbered one at a time
IN_PROGRESS = (TierState.candidate, TierState.district_approved, TierState.city_approved)


@dataclass(frozen=True)
class MemberFilter:
    tier: str | None = None
    bureau_code: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class Decision:
    evaluation_id: int
    outcome: str
    criteria: dict[str, str]
    ruleset_hash: str


class TierRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def history(self, firm_id: int) -> Sequence[tuple[TierStatus, TierTransition]]:
        statement = (
            select(TierStatus, TierTransition)
            .join(TierTransition, col(TierTransition.tier_status_id) == col(TierStatus.id))
            .where(TierStatus.firm_id == firm_id)
            .order_by(
                col(TierStatus.year), col(TierStatus.id), col(TierTransition.at), col(TierTransition.id)
            )
        )
        return (await self.session.exec(statement)).all()

    def add(self, row: TierBatch | TierStatus | TierTransition | Objection) -> None:
        self.session.add(row)

    # -- batches ------------------------------------------------------------------------

    async def next_seq(self, year: int) -> int:
        """The next batch number of ``year``; concurrent creations of one year queue up here."""
        await self.session.exec(select(func.pg_advisory_xact_lock(BATCH_LOCK, year)))
        latest = (
            await self.session.exec(select(func.max(TierBatch.seq)).where(TierBatch.year == year))
        ).one()
        return int(latest or 0) + 1

    async def batch(self, batch_id: int, *, for_update: bool = False) -> TierBatch | None:
        statement = select(TierBatch).where(TierBatch.id == batch_id)
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.exec(statement)).one_or_none()

    async def batches(self, year: int | None, *, offset: int, limit: int) -> tuple[Sequence[TierBatch], int]:
        conditions = [] if year is None else [TierBatch.year == year]
        total = (
            await self.session.exec(select(func.count()).select_from(TierBatch).where(*conditions))
        ).one()
        page = (
            select(TierBatch)
            .where(*conditions)
            .order_by(col(TierBatch.year).desc(), col(TierBatch.seq).desc())
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.exec(page)).all(), int(total)

    async def counts(self, actor: Actor, batch_ids: Sequence[int]) -> Sequence[tuple[int, str, str, int]]:
        """(batch id, tier, state, members) of the given batches, in one query."""
        if not batch_ids:
            return []
        statement = (
            select(TierStatus.batch_id, TierStatus.tier, TierStatus.state, func.count())
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(col(TierStatus.batch_id).in_(list(batch_ids)), *scope_conditions(actor))
            .group_by(col(TierStatus.batch_id), col(TierStatus.tier), col(TierStatus.state))
        )
        rows = (await self.session.exec(statement)).all()
        return [(int(batch or 0), tier, state, int(n)) for batch, tier, state, n in rows]

    # -- status rows ----------------------------------------------------------------------

    async def eligible_without_status(self, tier: Tier, year: int) -> Sequence[tuple[int, int]]:
        """(firm id, evaluation id) of firms eligible for ``tier`` in ``year`` that may become candidates.

        Left out: firms with a record for this tier and year already, and firms admitted to this
        tier or a higher one (in any year).
        """
        same = select(TierStatus.id).where(
            col(TierStatus.firm_id) == col(EvaluationLatest.firm_id),
            TierStatus.tier == tier,
            TierStatus.year == year,
        )
        higher = [t.value for t in list(Tier)[list(Tier).index(tier) :]]
        held = select(TierStatus.id).where(
            col(TierStatus.firm_id) == col(EvaluationLatest.firm_id),
            col(TierStatus.tier).in_(higher),
            TierStatus.state == TierState.admitted,
        )
        statement = (
            select(EvaluationLatest.firm_id, EvaluationLatest.evaluation_id)
            .where(
                EvaluationLatest.program == tier,
                EvaluationLatest.year == year,
                EvaluationLatest.outcome == "eligible",
                ~same.exists(),
                ~held.exists(),
            )
            .order_by(col(EvaluationLatest.firm_id))
        )
        return (await self.session.exec(statement)).all()

    async def waiting(self, year: int) -> Sequence[TierStatus]:
        """Records of ``year`` still under review that left an earlier batch at its 公示."""
        statement = (
            select(TierStatus)
            .where(
                TierStatus.year == year,
                col(TierStatus.batch_id).is_(None),
                col(TierStatus.state).in_(IN_PROGRESS),
            )
            .order_by(col(TierStatus.id))
            .with_for_update()
        )
        return (await self.session.exec(statement)).all()

    async def statuses(
        self, ids: Collection[int], *, for_update: bool = False
    ) -> dict[int, tuple[TierStatus, Firm]]:
        statement = (
            select(TierStatus, Firm)
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(col(TierStatus.id).in_(list(ids)))
        )
        if for_update:
            statement = statement.with_for_update(of=TierStatus)
        return {status.id or 0: (status, firm) for status, firm in (await self.session.exec(statement)).all()}

    async def batch_statuses(
        self, batch_id: int, states: Collection[str] | None = None
    ) -> Sequence[tuple[TierStatus, Firm]]:
        """Members of a batch in admission-number order: tier, bureau code, credit code."""
        statement = (
            select(TierStatus, Firm)
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(TierStatus.batch_id == batch_id)
            .order_by(TIER_ORDER, col(Firm.bureau_code), col(Firm.uscc))
            .with_for_update(of=TierStatus)
        )
        if states is not None:
            statement = statement.where(col(TierStatus.state).in_(list(states)))
        return (await self.session.exec(statement)).all()

    async def admitted_before(self, year: int) -> Sequence[tuple[TierStatus, Firm]]:
        statement = (
            select(TierStatus, Firm)
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(TierStatus.state == TierState.admitted, col(TierStatus.year) < year)
            .order_by(TIER_ORDER, col(Firm.bureau_code), col(Firm.uscc))
            .with_for_update(of=TierStatus)
        )
        return (await self.session.exec(statement)).all()

    async def decisions(self, firm_ids: Collection[int], year: int) -> dict[tuple[int, str], Decision]:
        """The latest decision per (firm, program) for ``year``."""
        if not firm_ids:
            return {}
        statement = (
            select(EvaluationLatest.firm_id, EvaluationLatest.program, Evaluation)
            .join(Evaluation, col(Evaluation.id) == col(EvaluationLatest.evaluation_id))
            .where(col(EvaluationLatest.firm_id).in_(list(firm_ids)), EvaluationLatest.year == year)
        )
        return {
            (firm_id, program): Decision(e.id or 0, e.outcome, dict(e.criteria), e.ruleset_hash)
            for firm_id, program, e in (await self.session.exec(statement)).all()
        }

    async def documents(self, hashes: Collection[str]) -> dict[str, dict[str, Any]]:
        if not hashes:
            return {}
        statement = select(RulesetVersion).where(col(RulesetVersion.content_hash).in_(list(hashes)))
        return {r.content_hash: r.document for r in (await self.session.exec(statement)).all()}

    # -- objections -----------------------------------------------------------------------

    async def objection(self, objection_id: int) -> tuple[Objection, TierStatus, Firm] | None:
        statement = (
            select(Objection, TierStatus, Firm)
            .join(TierStatus, col(TierStatus.id) == col(Objection.tier_status_id))
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(Objection.id == objection_id)
            .with_for_update(of=[Objection, TierStatus])
        )
        row = (await self.session.exec(statement)).one_or_none()
        return None if row is None else (row[0], row[1], row[2])

    async def pending_objections(self, batch_id: int) -> Sequence[tuple[int, str]]:
        statement = (
            select(Objection.id, Firm.name)
            .join(TierStatus, col(TierStatus.id) == col(Objection.tier_status_id))
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(TierStatus.batch_id == batch_id, Objection.outcome == "pending")
            .order_by(col(Objection.id))
        )
        return [
            (objection_id or 0, name) for objection_id, name in (await self.session.exec(statement)).all()
        ]

    async def objections_of(self, status_ids: Collection[int]) -> dict[int, list[Objection]]:
        if not status_ids:
            return {}
        statement = (
            select(Objection)
            .where(col(Objection.tier_status_id).in_(list(status_ids)))
            .order_by(col(Objection.received_on), col(Objection.id))
        )
        found: dict[int, list[Objection]] = {}
        for objection in (await self.session.exec(statement)).all():
            found.setdefault(objection.tier_status_id, []).append(objection)
        return found

    # -- member lists ---------------------------------------------------------------------

    def _members(
        self, actor: Actor, batch_id: int, where: MemberFilter, states: Collection[str] | None
    ) -> Any:
        conditions = [TierStatus.batch_id == batch_id, *scope_conditions(actor)]
        if where.tier:
            conditions.append(TierStatus.tier == where.tier)
        if where.bureau_code:
            conditions.append(col(Firm.bureau_code) == where.bureau_code)
        if where.state:
            conditions.append(TierStatus.state == where.state)
        if states is not None:
            conditions.append(col(TierStatus.state).in_(list(states)))
        return conditions

    async def members(
        self,
        actor: Actor,
        batch_id: int,
        where: MemberFilter = MemberFilter(),
        *,
        states: Collection[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[Sequence[tuple[TierStatus, Firm, Bureau]], int]:
        """A batch's members in the actor's scope, in list order (tier, bureau, credit code)."""
        conditions = self._members(actor, batch_id, where, states)
        joined = (
            select(func.count())
            .select_from(TierStatus)
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .where(*conditions)
        )
        total = (await self.session.exec(joined)).one()
        statement = (
            select(TierStatus, Firm, Bureau)
            .join(Firm, col(Firm.id) == col(TierStatus.firm_id))
            .join(Bureau, col(Bureau.code) == col(Firm.bureau_code))
            .where(*conditions)
            .order_by(TIER_ORDER, col(Firm.bureau_code), col(Firm.uscc))
            .offset(offset)
            .limit(limit)
        )
        return (await self.session.exec(statement)).all(), int(total)
