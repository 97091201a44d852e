"""Awards: computed from eligible evaluations, reviewed, approved, exported to a 拨付清单, paid.

Every change is an ``award_event`` (from, to, who, why) and an audit row; amounts are never
edited: a correction is a new award pointing at the one it replaces, which becomes superseded.
The moves themselves, and the one way to make them, are ``transitions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import asyncpg
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.awards import transitions
from backend.awards.access import MONEY, require, scope_of
from backend.awards.errors import (
    AwardInvalid,
    AwardNotFound,
    ComputeRaced,
    PaidNotCorrectable,
    PaymentIncomplete,
    ReasonRequired,
    TransitionInvalid,
)
from backend.awards.repository import AwardRepository
from backend.awards.schemas import ComputeResult, ConflictRead
from backend.awards.transitions import APPROVE, AWARDS, EXPORT, PAY, REJECT, REVIEW, audited
from backend.core import clock
from backend.core.machine import MoveRefused
from backend.core.security import Actor
from backend.models import Award
from backend.rulesets import service as ruleset_service
from vocabulary.states import AwardState

S = AwardState


def award_programs() -> list[str]:
    return ruleset_service.registry().programs("award")


def check_program(program: str) -> str:
    if program not in award_programs():
        raise AwardInvalid("program", program, f"「{program}」不是奖励项目")
    return program


# -- computation ---------------------------------------------------------------------------------------


async def compute_awards(
    session: AsyncSession, actor: Actor, year: int, program: str | None = None
) -> ComputeResult:
    """Turn ``year``'s eligible award decisions into awards, set-based, in the caller's transaction.

    Only a latest decision that is ``eligible`` with an amount above zero makes an award
    (unknown and ineligible never do). Excluded firms and once-per-firm programs already
    awarded are skipped and counted. An award already there with the same amount is left
    alone; a still ``computed`` one with another amount is corrected (a new row, the old one
    superseded); a reviewed one with another amount is not touched but listed as a conflict.
    Running it again on the same decisions changes nothing.
    """
    require(actor, MONEY, "计算奖励")
    programs = [check_program(program)] if program is not None else award_programs()
    try:
        counts, conflicts = await AwardRepository(session).compute(year, programs, actor.user_id, actor.label)
    except asyncpg.UniqueViolationError as exc:
        # A computed award was reviewed or corrected between reading and writing: its
        # replacement would be a second live award. The transaction is lost; say so plainly.
        raise ComputeRaced() from exc
    result = ComputeResult(
        year=year, programs=programs, created=counts.get("create", 0), unchanged=counts.get("unchanged", 0),
        corrected=counts.get("corrected", 0), excluded=counts.get("excluded", 0),
        once_per_firm_skipped=counts.get("once_per_firm", 0), conflicts=[ConflictRead(**c) for c in conflicts],
    )  # fmt: skip
    if result.created or result.corrected:
        summary = result.model_dump(mode="json", exclude={"conflicts"}) | {"conflicts": len(conflicts)}
        await audit.record(
            session, actor, "award.compute", "award", f"{year}:{program or '*'}", after=summary
        )
    return result


# -- transitions ---------------------------------------------------------------------------------------


@dataclass
class Moved:
    awards: list[Award]
    warnings: list[str] = field(default_factory=list)


async def district_review(
    session: AsyncSession, actor: Actor, award_ids: Sequence[int], reason: str | None = None
) -> Moved:
    """computed → district_reviewed: the firm's bureau, or the city."""
    return Moved(await transitions.take(session, actor, award_ids, REVIEW, reason=_text(reason)))


async def approve(
    session: AsyncSession, actor: Actor, award_ids: Sequence[int], reason: str | None = None
) -> Moved:
    """district_reviewed → approved (finance or the city); warns when a budget is exceeded."""
    awards = await transitions.take(session, actor, award_ids, APPROVE, reason=_text(reason))
    return Moved(awards, await budget_warnings(session, {(a.program, a.year) for a in awards}))


async def reject(session: AsyncSession, actor: Actor, award_ids: Sequence[int], reason: str | None) -> Moved:
    """computed | district_reviewed → rejected, with the reason (required)."""
    text = _text(reason)
    if text is None:
        raise ReasonRequired(reason)
    return Moved(await transitions.take(session, actor, award_ids, REJECT, reason=text))


async def mark_exported(
    session: AsyncSession, actor: Actor, award_ids: Sequence[int], export_run_id: int
) -> list[Award]:
    """approved → exported on the 拨付清单 of ``export_run_id`` (called by the export, no endpoint)."""
    reason = f"列入拨付清单（导出批次 #{export_run_id}）"
    return await transitions.take(
        session, actor, award_ids, EXPORT, reason=reason, export_run_id=export_run_id
    )


async def mark_paid(
    session: AsyncSession,
    actor: Actor,
    award_ids: Sequence[int],
    paid_on: date | None,
    payment_ref: str | None,
) -> Moved:
    """exported → paid, with the payment date and 支付凭证号 (finance)."""
    ref = _text(payment_ref)
    if paid_on is None:
        raise PaymentIncomplete("paid_on", None, "请填写拨付日期")
    if ref is None:
        raise PaymentIncomplete("payment_ref", payment_ref, "请填写支付凭证号")
    reason = f"已拨付：{paid_on.isoformat()}，凭证号 {ref}"
    return Moved(
        await transitions.take(
            session, actor, award_ids, PAY, reason=reason, paid_on=paid_on, payment_ref=ref
        )
    )


def _text(value: str | None) -> str | None:
    stripped = (value or "").strip()
    return stripped or None


async def budget_warnings(session: AsyncSession, keys: Iterable[tuple[str, int]]) -> list[str]:
    """One Chinese warning per program and year whose approved+exported+paid total exceeds its budget."""
    warnings = []
    for row in await AwardRepository(session).committed_totals(sorted(keys)):
        budget, committed = row["budget_yuan"], row["committed_yuan"]
        if budget is not None and committed > budget:
            warnings.append(
                f"{ruleset_service.program_title(row['program'])} {row['year']} 年度已批准金额合计 {committed:,} 元，"
                f"超出预算 {budget:,} 元（超出 {committed - budget:,} 元）"
            )
    return warnings


# -- corrections ---------------------------------------------------------------------------------------


async def correct_award(
    session: AsyncSession, actor: Actor, award_id: int, amount_yuan: int, reason: str | None
) -> Award:
    """Replace an unpaid award by a new one of ``amount_yuan`` that starts over at ``computed``.

    The old row becomes superseded and the new one points at it (``corrects_id``). A paid award
    cannot be corrected here.
    """
    require(actor, MONEY, "更正奖励")
    text = _text(reason)
    if text is None:
        raise ReasonRequired(reason)
    if amount_yuan < 0:
        raise AwardInvalid("amount_yuan", amount_yuan, "金额不能为负数")
    repo = AwardRepository(session)
    found = await repo.lock([award_id], scope_of(actor))
    if not found:
        raise AwardNotFound([award_id])
    old = found[0]
    assert old.id is not None
    if not AWARDS.allows(old.state, S.superseded):
        raise _uncorrectable(old)
    if amount_yuan == old.amount_yuan:
        raise AwardInvalid("amount_yuan", amount_yuan, "更正后的金额与原金额相同")
    return await _replace(session, actor, repo, old, amount_yuan, text)


def _uncorrectable(award: Award) -> MoveRefused:
    if award.state == S.paid:
        return PaidNotCorrectable(
            f"奖励 #{award.id} 已拨付，不能在此更正；补发或追回差额请另行办理", award_id=award.id
        )
    return TransitionInvalid(
        f"奖励 #{award.id} 状态为「{AWARDS.label(award.state)}」，不能更正", award_id=award.id
    )


async def _replace(
    session: AsyncSession, actor: Actor, repo: AwardRepository, old: Award, amount_yuan: int, reason: str
) -> Award:
    assert old.id is not None
    now = clock.utc_now()
    before = audited(old)
    superseded = AWARDS.move(old, S.superseded, actor=actor, reason=None, at=now, subject=f"奖励 #{old.id}")
    old.updated_at = now
    repo.add(old)
    await repo.flush()  # the old row leaves the live indexes before the new one enters them
    new = Award(
        firm_id=old.firm_id, program=old.program, year=old.year, amount_yuan=amount_yuan, state=S.computed,
        bureau_code=old.bureau_code, once_per_firm=old.once_per_firm, evaluation_id=old.evaluation_id,
        ruleset_hash=old.ruleset_hash, corrects_id=old.id, reason=reason, created_at=now, updated_at=now,
    )  # fmt: skip
    repo.add(new)
    await repo.flush()
    change = f"更正：金额由 {old.amount_yuan} 元变为 {amount_yuan} 元；{reason}"
    superseded.reason = f"{change}（由 #{new.id} 取代）"  # names its replacement, stored only now
    repo.add(superseded)
    repo.add(AWARDS.start(new, actor=actor, reason=f"{change}（更正 #{old.id}）", at=now))
    await audit.record(session, actor, "award.supersede", "award", old.id, before=before, after=audited(old))
    await audit.record(session, actor, "award.correct", "award", new.id, after=audited(new))
    await repo.flush()
    return new
