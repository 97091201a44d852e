"""The award state machine, the steps people take on it, and the one way to take one.

``computed → district_reviewed → approved → exported → paid``; ``computed`` and
``district_reviewed`` can be rejected; an unpaid award can be superseded by a correction (which
starts over at ``computed``). A step takes a list of award ids and is all or nothing: one id not
visible or in the wrong state and nothing changes, the refusal naming every award at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.awards.access import MONEY, PAYERS, REJECTERS, REVIEWERS, require, scope_of
from backend.awards.errors import (
    AlreadyApproved,
    AlreadyPaid,
    AwardInvalid,
    AwardNotFound,
    NotApproved,
    NotExported,
    TransitionInvalid,
    ids_text,
)
from backend.awards.repository import AwardRepository
from backend.core import clock
from backend.core.machine import Machine, MoveRefused
from backend.core.security import Actor
from backend.models import Award, AwardEvent
from vocabulary.states import AWARD_STATE_LABELS, AwardState, Role

S = AwardState
AWARDS = Machine(
    allowed={
        None: frozenset({S.computed}),
        S.computed: frozenset({S.district_reviewed, S.rejected, S.superseded}),
        S.district_reviewed: frozenset({S.approved, S.rejected, S.superseded}),
        S.approved: frozenset({S.exported, S.superseded}),
        S.exported: frozenset({S.paid, S.superseded}),
    },
    labels=AWARD_STATE_LABELS,
    refusal=TransitionInvalid,
    history=AwardEvent,
    owner="award_id",
)


@dataclass(frozen=True)
class Step:
    """A move offered to people: its audit action, who may take it, how a refusal reads."""

    action: str  # audit action
    what: str  # Chinese verb phrase, for refusals
    roles: frozenset[Role]
    target: S
    refuse: Callable[[list[Award]], MoveRefused]

    @property
    def sources(self) -> tuple[S, ...]:
        return AWARDS.sources(self.target)


def audited(award: Award) -> dict[str, Any] | None:
    return audit.snapshot(award, exclude={"created_at", "updated_at"})


def _states(awards: list[Award]) -> str:
    return "；".join(f"#{a.id}「{AWARDS.label(a.state)}」" for a in awards)


def _refusal(what: str, target: S) -> Callable[[list[Award]], MoveRefused]:
    allowed = "、".join(f"「{AWARDS.label(s)}」" for s in AWARDS.sources(target))

    def refuse(wrong: list[Award]) -> MoveRefused:
        return TransitionInvalid(
            f"只有{allowed}的奖励可以{what}：{_states(wrong)}",
            award_ids=[a.id for a in wrong],
            states=[a.state for a in wrong],
        )

    return refuse


def _approve_refusal(wrong: list[Award]) -> MoveRefused:
    twice = [a for a in wrong if a.state in (S.approved, S.exported, S.paid)]
    if twice:
        return AlreadyApproved(
            f"奖励 {ids_text(a.id for a in twice if a.id)} 已批准，不能重复批准",
            award_ids=[a.id for a in twice],
        )
    return _refusal("批准", S.approved)(wrong)


def _paid_refusal(wrong: list[Award]) -> MoveRefused:
    paid = [a for a in wrong if a.state == S.paid]
    if paid:
        return AlreadyPaid(
            f"奖励 {ids_text(a.id for a in paid if a.id)} 已登记拨付，不能重复拨付",
            award_ids=[a.id for a in paid],
        )
    return NotExported(
        f"奖励尚未列入拨付清单，不能登记拨付：{_states(wrong)}", award_ids=[a.id for a in wrong]
    )


def _export_refusal(wrong: list[Award]) -> MoveRefused:
    return NotApproved(f"奖励未经批准，不能列入拨付清单：{_states(wrong)}", award_ids=[a.id for a in wrong])


REVIEW = Step(
    "award.district_review",
    "区级审核",
    REVIEWERS,
    S.district_reviewed,
    _refusal("区级审核", S.district_reviewed),
)
APPROVE = Step("award.approve", "批准", MONEY, S.approved, _approve_refusal)
REJECT = Step("award.reject", "驳回", REJECTERS, S.rejected, _refusal("驳回", S.rejected))
EXPORT = Step("award.export", "列入拨付清单", MONEY, S.exported, _export_refusal)
PAY = Step("award.pay", "登记拨付", PAYERS, S.paid, _paid_refusal)


async def take(
    session: AsyncSession,
    actor: Actor,
    award_ids: Sequence[int],
    step: Step,
    *,
    reason: str | None = None,
    **changes: Any,
) -> list[Award]:
    """Move every award of ``award_ids`` by ``step`` (with ``changes``), each with its event and audit row."""
    require(actor, step.roles, step.what + "奖励")
    wanted = sorted(set(award_ids))
    if not wanted:
        raise AwardInvalid("award_ids", [], "请至少选择一项奖励")
    repo = AwardRepository(session)
    awards = await repo.lock(wanted, scope_of(actor))
    missing = sorted(set(wanted) - {a.id for a in awards if a.id is not None})
    if missing:
        raise AwardNotFound(missing)
    wrong = [a for a in awards if not AWARDS.allows(a.state, step.target)]
    if wrong:  # every award at fault named at once, before any moves
        raise step.refuse(wrong)
    now = clock.utc_now()
    for award in awards:
        before = audited(award)
        repo.add(
            AWARDS.move(award, step.target, actor=actor, reason=reason, at=now, subject=f"奖励 #{award.id}")
        )
        award.sqlmodel_update({"updated_at": now, **changes})
        repo.add(award)
        await audit.record(
            session, actor, step.action, "award", award.id, before=before, after=audited(award)
        )
    await repo.flush()
    return awards
