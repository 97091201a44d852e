"""Awards: computed from eligible evaluations, reviewed, approved, exported to a 拨付清单, paid.

Every change is an ``award_event`` (from, to, who, why) and an audit row; amounts are never
edited: a correction is a new award pointing at the one it replaces, which becomes superseded.
Transitions take lists of award ids and are all or nothing: one id not visible or in the wrong
state and nothing changes, the error naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.awards.errors import (
    AlreadyApproved,
    AlreadyPaid,
    AwardForbidden,
    AwardInvalid,
    AwardNotFound,
    ComputeRaced,
    NotApproved,
    NotExported,
    PaidNotCorrectable,
    PaymentIncomplete,
    ReasonRequired,
    TransitionInvalid,
    ids_text,
)
from backend.awards.repository import AwardRepository, Scope
from backend.awards.schemas import ComputeResult, ConflictRead
from backend.core import clock
from backend.core.errors import AppError
from backend.core.security import Actor
from backend.models import AWARD_STATE_LABELS, Award, AwardEvent, AwardState, Role
from backend.rulesets import service as ruleset_service

S = AwardState
CITY = frozenset({Role.admin, Role.city})
MONEY = CITY | {Role.finance}  # compute, approve, correct, budgets
REVIEWERS = CITY | {Role.bureau}
REJECTERS = MONEY | {Role.bureau}
PAYERS = frozenset({Role.admin, Role.finance})


def require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise AwardForbidden(f"当前角色无权{what}")


def scope_of(actor: Actor) -> Scope:
    """Finance and the city see every award; a bureau its own bureau's; a firm its own."""
    if actor.role in MONEY:
        return Scope()
    if actor.role is Role.bureau:
        return Scope(bureau_code=actor.bureau_code or "-")
    return Scope(firm_id=actor.firm_id if actor.firm_id is not None else -1)


def award_programs() -> list[str]:
    return ruleset_service.registry().programs("award")


def check_program(program: str) -> str:
    if program not in award_programs():
        raise AwardInvalid("program", program, f"「{program}」不是奖励项目")
    return program


def label(state: str) -> str:
    return AWARD_STATE_LABELS.get(S(state), state) if state in S.__members__ else state


def audited(award: Award) -> dict[str, Any] | None:
    return audit.snapshot(award, exclude={"created_at", "updated_at"})


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


@dataclass(frozen=True)
class Move:
    action: str  # audit action
    what: str  # Chinese verb phrase, for refusals
    roles: frozenset[Role]
    sources: tuple[S, ...]
    target: S
    refuse: Callable[[list[Award]], AppError]


@dataclass
class Moved:
    awards: list[Award]
    warnings: list[str] = field(default_factory=list)


def _states(awards: Iterable[Award]) -> str:
    return "；".join(f"#{a.id}「{label(a.state)}」" for a in awards)


def _refusal(move_what: str, sources: Sequence[S]) -> Callable[[list[Award]], AppError]:
    allowed = "、".join(f"「{label(s)}」" for s in sources)

    def refuse(wrong: list[Award]) -> AppError:
        ids = [a.id for a in wrong]
        return TransitionInvalid(
            f"只有{allowed}的奖励可以{move_what}：{_states(wrong)}",
            award_ids=ids,
            states=[a.state for a in wrong],
        )

    return refuse


def _approve_refusal(wrong: list[Award]) -> AppError:
    twice = [a for a in wrong if a.state in (S.approved, S.exported, S.paid)]
    if twice:
        return AlreadyApproved(
            f"奖励 {ids_text(a.id for a in twice if a.id)} 已批准，不能重复批准",
            award_ids=[a.id for a in twice],
        )
    return _refusal("批准", (S.district_reviewed,))(wrong)


def _paid_refusal(wrong: list[Award]) -> AppError:
    paid = [a for a in wrong if a.state == S.paid]
    if paid:
        return AlreadyPaid(
            f"奖励 {ids_text(a.id for a in paid if a.id)} 已登记拨付，不能重复拨付",
            award_ids=[a.id for a in paid],
        )
    return NotExported(
        f"奖励尚未列入拨付清单，不能登记拨付：{_states(wrong)}", award_ids=[a.id for a in wrong]
    )


def _export_refusal(wrong: list[Award]) -> AppError:
    return NotApproved(f"奖励未经批准，不能列入拨付清单：{_states(wrong)}", award_ids=[a.id for a in wrong])


REVIEW = Move("award.district_review", "区级审核", REVIEWERS, (S.computed,), S.district_reviewed,
              _refusal("区级审核", (S.computed,)))  # fmt: skip
APPROVE = Move("award.approve", "批准", MONEY, (S.district_reviewed,), S.approved, _approve_refusal)
REJECT = Move("award.reject", "驳回", REJECTERS, (S.computed, S.district_reviewed), S.rejected,
              _refusal("驳回", (S.computed, S.district_reviewed)))  # fmt: skip
EXPORT = Move("award.export", "列入拨付清单", MONEY, (S.approved,), S.exported, _export_refusal)
PAY = Move("award.pay", "登记拨付", PAYERS, (S.exported,), S.paid, _paid_refusal)


async def _move(
    session: AsyncSession,
    actor: Actor,
    award_ids: Sequence[int],
    move: Move,
    *,
    reason: str | None = None,
    **changes: Any,
) -> list[Award]:
    require(actor, move.roles, move.what + "奖励")
    wanted = sorted(set(award_ids))
    if not wanted:
        raise AwardInvalid("award_ids", [], "请至少选择一项奖励")
    repo = AwardRepository(session)
    awards = await repo.lock(wanted, scope_of(actor))
    missing = sorted(set(wanted) - {a.id for a in awards if a.id is not None})
    if missing:
        raise AwardNotFound(missing)
    wrong = [a for a in awards if a.state not in move.sources]
    if wrong:
        raise move.refuse(wrong)
    now = clock.utc_now()
    for award in awards:
        assert award.id is not None
        before = audited(award)
        repo.add(AwardEvent(award_id=award.id, from_state=award.state, to_state=move.target,
                            actor_id=actor.user_id, actor_label=actor.label, reason=reason, at=now))  # fmt: skip
        award.sqlmodel_update({"state": move.target, "updated_at": now, **changes})
        repo.add(award)
        await audit.record(
            session, actor, move.action, "award", award.id, before=before, after=audited(award)
        )
    await repo.flush()
    return awards


async def district_review(
    session: AsyncSession, actor: Actor, award_ids: Sequence[int], reason: str | None = None
) -> Moved:
    """computed → district_reviewed: the firm's bureau, or the city."""
    return Moved(await _move(session, actor, award_ids, REVIEW, reason=_text(reason)))


async def approve(
    session: AsyncSession, actor: Actor, award_ids: Sequence[int], reason: str | None = None
) -> Moved:
    """district_reviewed → approved (finance or the city); warns when a budget is exceeded."""
    awards = await _move(session, actor, award_ids, APPROVE, reason=_text(reason))
    return Moved(awards, await budget_warnings(session, {(a.program, a.year) for a in awards}))


async def reject(session: AsyncSession, actor: Actor, award_ids: Sequence[int], reason: str | None) -> Moved:
    """computed | district_reviewed → rejected, with the reason (required)."""
    text = _text(reason)
    if text is None:
        raise ReasonRequired(reason)
    return Moved(await _move(session, actor, award_ids, REJECT, reason=text))


async def mark_exported(
    session: AsyncSession, actor: Actor, award_ids: Sequence[int], export_run_id: int
) -> list[Award]:
    """approved → exported on the 拨付清单 of ``export_run_id`` (called by the export, no endpoint)."""
    reason = f"列入拨付清单（导出批次 #{export_run_id}）"
    return await _move(session, actor, award_ids, EXPORT, reason=reason, export_run_id=export_run_id)


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
    return Moved(await _move(session, actor, award_ids, PAY, reason=reason, paid_on=paid_on, payment_ref=ref))


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
    if old.state == S.paid:
        raise PaidNotCorrectable(
            f"奖励 #{old.id} 已拨付，不能在此更正；补发或追回差额请另行办理", award_id=old.id
        )
    if old.state in (S.superseded, S.rejected):
        raise TransitionInvalid(f"奖励 #{old.id} 状态为「{label(old.state)}」，不能更正", award_id=old.id)
    if amount_yuan == old.amount_yuan:
        raise AwardInvalid("amount_yuan", amount_yuan, "更正后的金额与原金额相同")
    return await _replace(session, actor, repo, old, amount_yuan, text)


async def _replace(
    session: AsyncSession, actor: Actor, repo: AwardRepository, old: Award, amount_yuan: int, reason: str
) -> Award:
    assert old.id is not None
    now = clock.utc_now()
    before, from_state = audited(old), old.state
    old.sqlmodel_update({"state": S.superseded, "updated_at": now})
    repo.add(old)
    await repo.flush()  # the old row leaves the live indexes before the new one enters them
    new = Award(
        firm_id=old.firm_id, program=old.program, year=old.year, amount_yuan=amount_yuan, state=S.computed,
        bureau_code=old.bureau_code, once_per_firm=old.once_per_firm, evaluation_id=old.evaluation_id,
        ruleset_hash=old.ruleset_hash, corrects_id=old.id, reason=reason, created_at=now, updated_at=now,
    )  # fmt: skip
    repo.add(new)
    await repo.flush()
    assert new.id is not None
    change = f"更正：金额由 {old.amount_yuan} 元变为 {amount_yuan} 元；{reason}"
    repo.add(AwardEvent(award_id=old.id, from_state=from_state, to_state=S.superseded, actor_id=actor.user_id,
                        actor_label=actor.label, reason=f"{change}（由 #{new.id} 取代）", at=now))  # fmt: skip
    repo.add(AwardEvent(award_id=new.id, from_state=None, to_state=S.computed, actor_id=actor.user_id,
                        actor_label=actor.label, reason=f"{change}（更正 #{old.id}）", at=now))  # fmt: skip
    await audit.record(session, actor, "award.supersede", "award", old.id, before=before, after=audited(old))
    await audit.record(session, actor, "award.correct", "award", new.id, after=audited(new))
    await repo.flush()
    return new
