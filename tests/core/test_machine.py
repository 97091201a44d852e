"""State machines: a declared move sets the state and returns its history row; any other is refused.

The tier and award workflows both move through ``backend.core.machine``; their refusals are the
one ``MoveRefused`` with each domain's code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import SQLModel

from backend.awards import transitions as award_transitions
from backend.awards.errors import AlreadyApproved, AlreadyPaid, NotApproved, NotExported, PaidNotCorrectable
from backend.awards.errors import TransitionInvalid as AwardTransitionInvalid
from backend.core.machine import Machine, MoveRefused
from backend.core.security import Actor
from backend.models import Award, AwardEvent, StateHistory, TierStatus, TierTransition
from backend.tiers import transitions as tier_transitions
from backend.tiers.errors import BatchTransitionInvalid
from backend.tiers.errors import TransitionInvalid as TierTransitionInvalid
from vocabulary.states import TIER_STATE_LABELS, AwardState, Role, TierState

CITY = Actor(user_id=7, label="city", role=Role.city)
AT = datetime(2025, 6, 1, 8, tzinfo=UTC)


def _status(state: TierState) -> TierStatus:
    return TierStatus(id=41, firm_id=3, tier="seedling", year=2025, state=state)


def test_a_declared_move_sets_the_state_and_returns_its_history_row() -> None:
    status = _status(TierState.candidate)
    row = tier_transitions.STATUSES.move(
        status, TierState.district_approved, actor=CITY, reason="区审查通过", subject="梯度记录 #41", at=AT
    )
    assert status.state == TierState.district_approved
    assert isinstance(row, TierTransition)
    assert (row.tier_status_id, row.from_state, row.to_state, row.actor_id, row.actor_label, row.reason, row.at) == (
        41, "candidate", "district_approved", 7, "city", "区审查通过", AT,
    )  # fmt: skip


def test_an_undeclared_move_is_refused_naming_both_states_and_changes_nothing() -> None:
    status = _status(TierState.candidate)
    with pytest.raises(MoveRefused) as refused:
        tier_transitions.STATUSES.move(
            status,
            TierState.admitted,
            actor=CITY,
            reason="跳过审查",
            subject="梯度记录 #41（甲公司）",
            status_id=41,
        )
    assert status.state == TierState.candidate
    error = refused.value
    assert isinstance(error, TierTransitionInvalid)
    assert (error.status_code, error.code) == (409, "tier.transition_invalid")
    assert error.detail == "梯度记录 #41（甲公司）当前状态为“候选”，不能变更为“已入库”"
    assert error.context == {"status_id": 41, "from_state": "candidate", "to_state": "admitted"}


def test_a_step_that_starts_only_somewhere_refuses_a_move_the_machine_allows_elsewhere() -> None:
    # 区审查 rejects candidates only: rejecting a district-approved record is the city's review.
    reviewed = _status(TierState.district_approved)
    assert tier_transitions.STATUSES.allows(reviewed.state, TierState.rejected)
    with pytest.raises(TierTransitionInvalid):
        tier_transitions.STATUSES.check(
            reviewed.state, TierState.rejected, subject="梯度记录 #41", only_from=(TierState.candidate,)
        )


def test_a_new_record_starts_with_a_row_from_nothing() -> None:
    row = tier_transitions.STATUSES.start(_status(TierState.candidate), actor=CITY, reason="列为候选", at=AT)
    assert (row.from_state, row.to_state, row.reason) == (None, "candidate", "列为候选")
    with pytest.raises(AssertionError):
        tier_transitions.STATUSES.start(_status(TierState.admitted), actor=CITY, reason="直接入库")


def test_sources_are_the_states_a_move_is_declared_from_in_order() -> None:
    machine = award_transitions.AWARDS
    assert machine.sources(AwardState.rejected) == (AwardState.computed, AwardState.district_reviewed)
    assert award_transitions.REJECT.sources == (AwardState.computed, AwardState.district_reviewed)
    assert machine.sources(AwardState.paid) == (AwardState.exported,)


def test_tiers_and_awards_move_through_machines_whose_history_has_one_shape() -> None:
    tiers, awards = tier_transitions.STATUSES, award_transitions.AWARDS
    assert isinstance(tiers, Machine)
    assert isinstance(awards, Machine)
    assert (tiers.history, tiers.owner, awards.history, awards.owner) == (
        TierTransition, "tier_status_id", AwardEvent, "award_id",
    )  # fmt: skip
    shared = set(StateHistory.model_fields)
    assert shared == {"from_state", "to_state", "actor_id", "actor_label", "reason", "at"}
    for table in ("tier_transition", "award_event"):
        assert shared <= set(SQLModel.metadata.tables[table].columns.keys())
    # Every state of each vocabulary is reachable from a new record.
    assert _reachable(tiers, list(TierState)) == set(TierState)
    assert _reachable(awards, list(AwardState)) == set(AwardState)


def _reachable(machine: Machine[Any, Any], states: list[Any]) -> set[str]:
    reached: set[str] = set()
    frontier: list[str | None] = [None]
    while frontier:
        current = frontier.pop()
        for state in states:
            if state not in reached and machine.allows(current, state):
                reached.add(state)
                frontier.append(state)
    return reached


def test_award_computation_writes_only_declared_moves() -> None:
    # Its set-based SQL writes award_event rows itself: new awards, and computed ones superseded.
    awards = award_transitions.AWARDS
    assert awards.allows(None, AwardState.computed)
    assert awards.allows(AwardState.computed, AwardState.superseded)


def test_an_award_move_refused_by_the_machine_is_the_awards_own_error() -> None:
    award = Award(
        id=5, firm_id=3, program="p", year=2025, amount_yuan=1, state=AwardState.paid, bureau_code="b"
    )
    with pytest.raises(AwardTransitionInvalid) as refused:
        award_transitions.AWARDS.move(award, AwardState.approved, actor=CITY, reason=None, subject="奖励 #5")
    assert refused.value.code == "award.transition_invalid"
    assert refused.value.detail == "奖励 #5当前状态为“已拨付”，不能变更为“已批准”"
    assert award.state == AwardState.paid


@pytest.mark.parametrize(
    "error",
    [AwardTransitionInvalid, AlreadyApproved, AlreadyPaid, NotExported, NotApproved, PaidNotCorrectable,
     TierTransitionInvalid, BatchTransitionInvalid],
)  # fmt: skip
def test_every_refused_move_is_one_kind_of_error(error: type[MoveRefused]) -> None:
    assert issubclass(error, MoveRefused)
    assert error.status_code == 409


def test_labels_come_from_the_vocabulary() -> None:
    assert tier_transitions.STATUSES.labels is TIER_STATE_LABELS
    assert tier_transitions.STATUSES.label(None) == "（无）"
