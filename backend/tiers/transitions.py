"""The tier state machine: which moves exist, and the one way to make one (transition row + audit).

``candidate → district_approved → city_approved → public_notice → admitted``; an application
can be rejected at each review and by an upheld objection during 公示; an admitted firm is kept
(``admitted → admitted``) or revoked at its 复评. Nothing else: a skipped or repeated step is a
``TransitionInvalid`` (409) and the request changes nothing.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.security import Actor
from backend.models import Firm, TierState, TierStatus, TierTransition
from backend.tiers.errors import TransitionInvalid

S = TierState
ALLOWED: dict[str | None, frozenset[str]] = {
    None: frozenset({S.candidate}),
    S.candidate: frozenset({S.district_approved, S.rejected}),
    S.district_approved: frozenset({S.city_approved, S.rejected}),
    S.city_approved: frozenset({S.public_notice}),
    S.public_notice: frozenset({S.admitted, S.rejected}),
    S.admitted: frozenset({S.admitted, S.revoked, S.expired}),
}


def require(status: TierStatus, firm: Firm, to_state: str, *, from_state: str | None = None) -> None:
    """Raise TransitionInvalid unless the machine allows the move (and it starts at ``from_state``)."""
    current = status.state
    allowed = to_state in ALLOWED.get(current, frozenset())
    if not allowed or (from_state is not None and current != from_state):
        raise TransitionInvalid(status.id or 0, firm.name, current, to_state)


async def move(
    session: AsyncSession,
    actor: Actor,
    status: TierStatus,
    firm: Firm,
    to_state: str,
    reason: str,
    **changes: object,
) -> None:
    """Change the state and ``changes``, record the transition and audit it (before/after)."""
    require(status, firm, to_state)
    before = audit.snapshot(status, exclude={"created_at", "updated_at"})
    from_state = status.state
    status.state = to_state
    for name, value in changes.items():
        setattr(status, name, value)
    status.updated_at = clock.utc_now()
    session.add(status)
    session.add(
        TierTransition(
            tier_status_id=status.id or 0,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor.user_id,
            actor_label=actor.label,
            reason=reason[:500],
        )
    )
    after = audit.snapshot(status, exclude={"created_at", "updated_at"})
    await audit.record(
        session, actor, f"tier.{to_state}", "tier_status", status.id, before=before, after=after
    )


async def create(session: AsyncSession, actor: Actor, status: TierStatus, reason: str) -> None:
    """Record a new status's first transition (from nothing to ``candidate``) and audit it."""
    session.add(
        TierTransition(
            tier_status_id=status.id or 0,
            from_state=None,
            to_state=status.state,
            actor_id=actor.user_id,
            actor_label=actor.label,
            reason=reason,
        )
    )
    after = audit.snapshot(status, exclude={"created_at", "updated_at"})
    await audit.record(session, actor, "tier.candidate", "tier_status", status.id, after=after)
