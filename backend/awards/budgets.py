"""Budgets per program and year, the year's summary against them, and exclusions of firms."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.awards.access import CITY, MONEY, require
from backend.awards.errors import AwardInvalid, ExclusionNotFound, ReasonRequired
from backend.awards.repository import COMMITTED_STATES, AwardRepository, Scope
from backend.awards.schemas import ExclusionCreate, ExclusionRead, ProgramSummary, StateTotal, SummaryRead
from backend.awards.service import award_programs, check_program
from backend.core import clock
from backend.core.security import Actor
from backend.models import AwardBudget, AwardExclusion, Firm
from backend.rulesets import service as ruleset_service
from vocabulary.states import AwardState

SHOWN_STATES = [s for s in AwardState if s is not AwardState.superseded]


async def set_budget(
    session: AsyncSession, actor: Actor, program: str, year: int, amount_yuan: int, note: str | None
) -> AwardBudget:
    """Set (or replace) the budget of ``program`` for ``year``: finance or the city."""
    require(actor, MONEY, "设置奖励预算")
    check_program(program)
    if amount_yuan < 0:
        raise AwardInvalid("amount_yuan", amount_yuan, "预算金额不能为负数")
    repo = AwardRepository(session)
    budget = await repo.budget(program, year)
    before = audit.snapshot(budget, exclude={"updated_at"}) if budget else None
    if budget is None:
        budget = AwardBudget(program=program, year=year, amount_yuan=amount_yuan, note=note)
    else:
        budget.sqlmodel_update({"amount_yuan": amount_yuan, "note": note, "updated_at": clock.utc_now()})
    repo.add(budget)
    await repo.flush()
    after = audit.snapshot(budget, exclude={"updated_at"})
    await audit.record(
        session, actor, "award.budget", "award_budget", f"{program}:{year}", before=before, after=after
    )
    return budget


async def summary(session: AsyncSession, actor: Actor, year: int) -> SummaryRead:
    """Per award program: counts and sums by state, the budget and what remains of it."""
    require(actor, MONEY, "查看奖励汇总")
    repo = AwardRepository(session)
    totals = await repo.state_totals(year, Scope())
    budgets = await repo.budgets(year)
    programs = sorted(set(award_programs()) | set(budgets) | {t["program"] for t in totals})
    result = []
    for program in programs:
        by_state = {s.value: StateTotal() for s in SHOWN_STATES}
        for t in totals:
            if t["program"] == program:
                by_state[t["state"]] = StateTotal(count=t["n"], amount_yuan=t["yuan"])
        committed = sum(by_state[s].amount_yuan for s in COMMITTED_STATES)
        budget = budgets[program].amount_yuan if program in budgets else None
        result.append(
            ProgramSummary(
                program=program,
                title=ruleset_service.program_title(program),
                by_state=by_state,
                budget_yuan=budget,
                committed_yuan=committed,
                remaining_yuan=None if budget is None else budget - committed,
            )
        )
    return SummaryRead(year=year, programs=result)


def _exclusion_read(exclusion: AwardExclusion, firm: Firm) -> ExclusionRead:
    assert exclusion.id is not None
    return ExclusionRead(
        id=exclusion.id, firm_id=exclusion.firm_id, uscc=firm.uscc, firm_name=firm.name, program=exclusion.program,
        from_year=exclusion.from_year, to_year=exclusion.to_year, reason=exclusion.reason,
        created_at=exclusion.created_at,
    )  # fmt: skip


async def create_exclusion(session: AsyncSession, actor: Actor, data: ExclusionCreate) -> ExclusionRead:
    """Keep a firm out of one award program (or all) from a year on: the city, with a reason."""
    require(actor, CITY, "设置奖励排除")
    reason = (data.reason or "").strip()
    if not reason:
        raise ReasonRequired(data.reason)
    if data.program is not None:
        check_program(data.program)
    if data.to_year is not None and data.to_year < data.from_year:
        raise AwardInvalid("to_year", data.to_year, "截止年度不能早于起始年度")
    repo = AwardRepository(session)
    firm = await repo.firm_by_uscc(data.uscc)
    if firm is None or firm.id is None:
        raise AwardInvalid("uscc", data.uscc, f"登记库中没有统一社会信用代码为 {data.uscc} 的企业")
    exclusion = AwardExclusion(
        firm_id=firm.id, program=data.program, from_year=data.from_year, to_year=data.to_year, reason=reason,
        created_by_id=actor.user_id,
    )  # fmt: skip
    repo.add(exclusion)
    await repo.flush()
    await audit.record(
        session, actor, "award.exclude", "award_exclusion", exclusion.id, after=audit.snapshot(exclusion)
    )
    return _exclusion_read(exclusion, firm)


async def list_exclusions(session: AsyncSession, actor: Actor) -> list[ExclusionRead]:
    require(actor, CITY, "查看奖励排除")
    return [_exclusion_read(e, f) for e, f in await AwardRepository(session).exclusions()]


async def delete_exclusion(session: AsyncSession, actor: Actor, exclusion_id: int) -> None:
    """Lift an exclusion (it no longer keeps the firm out of future computations)."""
    require(actor, CITY, "撤销奖励排除")
    repo = AwardRepository(session)
    exclusion = await repo.exclusion(exclusion_id)
    if exclusion is None:
        raise ExclusionNotFound(f"奖励排除 #{exclusion_id} 不存在", exclusion_id=exclusion_id)
    before = audit.snapshot(exclusion)
    await repo.delete(exclusion)
    await repo.flush()
    await audit.record(session, actor, "award.unexclude", "award_exclusion", exclusion_id, before=before)
