"""Tier workflow errors: each with a stable code and a Chinese detail naming what is wrong."""

from __future__ import annotations

from collections.abc import Sequence

from backend.core.errors import Conflict, NotFound
from backend.core.machine import MoveRefused
from vocabulary.states import BATCH_STATE_LABELS, OBJECTION_LABELS, TIER_STATE_LABELS, TierState


def state_label(state: str | None) -> str:
    return "（无）" if state is None else TIER_STATE_LABELS.get(TierState(state), state)


class TransitionInvalid(MoveRefused):
    """A tier status step the machine does not declare (``transitions.STATUSES``)."""

    code = "tier.transition_invalid"


class StatusNotFound(NotFound):
    code = "tier.status_not_found"

    def __init__(self, status_id: int) -> None:
        # Also what a bureau user gets for another bureau's firm: existence is not revealed.
        super().__init__(f"未找到梯度记录 #{status_id}", status_id=status_id)


class BatchNotFound(NotFound):
    code = "tier.batch_not_found"

    def __init__(self, batch_id: int) -> None:
        super().__init__(f"未找到入库批次 #{batch_id}", batch_id=batch_id)


class ObjectionNotFound(NotFound):
    code = "tier.objection_not_found"

    def __init__(self, objection_id: int) -> None:
        super().__init__(f"未找到异议 #{objection_id}", objection_id=objection_id)


class BatchTransitionInvalid(MoveRefused):
    """A batch step out of order (公示 twice, 公告入库 before 公示 …): same code as a record's."""

    code = "tier.transition_invalid"
    wording = "{subject}当前为“{current}”，不能变更为“{wanted}”"


class BatchClosed(Conflict):
    code = "tier.batch_closed"

    def __init__(self, label: str, state: str) -> None:
        shown = BATCH_STATE_LABELS.get(state, state)
        super().__init__(f"{label}当前为“{shown}”，不能再列入候选企业", batch_state=state)


class BatchWithoutApproved(Conflict):
    code = "tier.batch_without_approved"

    def __init__(self, label: str) -> None:
        super().__init__(f"{label}没有市级审核通过的企业，不能开始公示")


class NoticeNotOver(Conflict):
    code = "tier.notice_not_over"

    def __init__(self, label: str, notice_to: object, announced_on: object) -> None:
        super().__init__(
            f"{label}公示期至 {notice_to} 结束，公告入库日期须晚于公示期（当前为 {announced_on}）",
            notice_to=notice_to,
            announced_on=announced_on,
        )


class ObjectionsPending(Conflict):
    code = "tier.objections_pending"

    def __init__(self, label: str, pending: Sequence[tuple[int, str]]) -> None:
        named = "、".join(f"#{objection_id}（{firm}）" for objection_id, firm in pending)
        super().__init__(
            f"{label}仍有未处理的异议：{named}，处理后才能公告入库",
            objection_ids=[objection_id for objection_id, _ in pending],
        )


class ObjectionResolved(Conflict):
    code = "tier.objection_resolved"

    def __init__(self, objection_id: int, outcome: str) -> None:
        shown = OBJECTION_LABELS.get(outcome, outcome)
        super().__init__(f"异议 #{objection_id} 已处理（{shown}），不能再次处理", objection_id=objection_id)


class NotInNotice(Conflict):
    code = "tier.not_in_notice"

    def __init__(self, status_id: int, firm_name: str) -> None:
        super().__init__(
            f"梯度记录 #{status_id}（{firm_name}）不在公示期内，异议只能在所在批次公示期间登记和处理",
            status_id=status_id,
        )
