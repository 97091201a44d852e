"""The tier state machines: which moves exist, and the one way to make one (transition row + audit).

A status: ``candidate → district_approved → city_approved → public_notice → admitted``; an
application can be rejected at each review and by an upheld objection during 公示; an admitted
firm is kept (``admitted → admitted``) or revoked at its 复评. A batch: ``open → public_notice →
admitted``. Nothing else: a skipped or repeated step is a ``TransitionInvalid`` (409) and the
request changes nothing.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.machine import Machine, Moves
from backend.core.security import Actor
from backend.models import Firm, TierStatus, TierTransition
from backend.tiers.errors import BatchTransitionInvalid, TransitionInvalid
from vocabulary.states import BATCH_STATE_LABELS, TIER_STATE_LABELS, BatchState, TierState

S = TierState
STATUSES = Machine(
    allowed={
        None: frozenset({S.candidate}),
        S.candidate: frozenset({S.district_approved, S.rejected}),
        S.district_approved: frozenset({S.city_approved, S.rejected}),
        S.city_approved: frozenset({S.public_notice}),
        S.public_notice: frozenset({S.admitted, S.rejected}),
        S.admitted: frozenset({S.admitted, S.revoked, S.expired}),
    },
    labels=TIER_STATE_LABELS,
    refusal=TransitionInvalid,
    history=TierTransition,
    owner="tier_status_id",
)
# A batch keeps no transition rows: its audit rows are its history.
BATCHES = Moves(
    allowed={
        None: frozenset({BatchState.open}),
        BatchState.open: frozenset({BatchState.public_notice}),
        BatchState.public_notice: frozenset({BatchState.admitted}),
    },
    labels=BATCH_STATE_LABELS,
    refusal=BatchTransitionInvalid,
)


def _subject(status: TierStatus, firm: Firm) -> str:
    return f"梯度记录 #{status.id or 0}（{firm.name}）"


def require(status: TierStatus, firm: Firm, to_state: S, *, from_state: S | None = None) -> None:
    """Raise TransitionInvalid unless the machine allows the move (and it starts at ``from_state``)."""
    only_from = None if from_state is None else (from_state,)
    STATUSES.check(
        status.state, to_state, subject=_subject(status, firm), only_from=only_from, status_id=status.id or 0
    )


async def move(
    session: AsyncSession,
    actor: Actor,
    status: TierStatus,
    firm: Firm,
    to_state: S,
    reason: str,
    **changes: object,
) -> None:
    """Change the state and ``changes``, record the transition and audit it (before/after)."""
    before = audit.snapshot(status, exclude={"created_at", "updated_at"})
    transition = STATUSES.move(
        status,
        to_state,
        actor=actor,
        reason=reason[:500],
        subject=_subject(status, firm),
        status_id=status.id or 0,
    )
    for name, value in changes.items():
        setattr(status, name, value)
    status.updated_at = clock.utc_now()
    session.add(status)
    session.add(transition)
    after = audit.snapshot(status, exclude={"created_at", "updated_at"})
    await audit.record(
        session, actor, f"tier.{to_state}", "tier_status", status.id, before=before, after=after
    )


async def create(session: AsyncSession, actor: Actor, status: TierStatus, reason: str) -> None:
    """Record a new status's first transition (from nothing to ``candidate``) and audit it."""
    session.add(STATUSES.start(status, actor=actor, reason=reason))
    after = audit.snapshot(status, exclude={"created_at", "updated_at"})
    await audit.record(session, actor, "tier.candidate", "tier_status", status.id, after=after)
