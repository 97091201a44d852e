"""公示, objections and 公告入库 of a batch (policy.md §1.3), after the reviews in ``service``.

Same rules as there: city staff run these steps (a bureau may also record an objection against
its own firm), every check happens before anything is written, and every change leaves a
transition row and an audit row.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Forbidden, Unprocessable
from backend.core.security import Actor
from backend.models import Firm, Objection, TierBatch, TierStatus
from backend.tiers import transitions
from backend.tiers.errors import (
    BatchWithoutApproved,
    NoticeNotOver,
    NotInNotice,
    ObjectionNotFound,
    ObjectionResolved,
    ObjectionsPending,
)
from backend.tiers.repository import IN_PROGRESS, TierRepository
from backend.tiers.schemas import (
    AdmitRead,
    AdmitRequest,
    NoticeRead,
    NoticeRequest,
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
)
from backend.tiers.service import batch_read, get_batch, load_statuses, require_city, status_read
from vocabulary.ladder import TIER_PREFIXES, Tier
from vocabulary.states import BatchState, Role, TierState

NOTICE_DAYS = 7  # default 公示 window: today and the 6 days after it


def _notice_window(body: NoticeRequest) -> tuple[date, date]:
    start = body.notice_from or clock.today()
    end = body.notice_to or start + timedelta(days=NOTICE_DAYS - 1)
    if end < start:
        raise Unprocessable("notice_to", str(end), f"公示结束日期不能早于开始日期 {start}")
    return start, end


async def start_notice(session: AsyncSession, actor: Actor, batch_id: int, body: NoticeRequest) -> NoticeRead:
    """Start the batch's 公示: city-approved members go into notice, the rest wait for the next batch."""
    require_city(actor, "发布公示")
    repo = TierRepository(session)
    batch = await get_batch(repo, batch_id, for_update=True)
    transitions.BATCHES.check(batch.state, BatchState.public_notice, subject=batch.label)
    start, end = _notice_window(body)
    members = await repo.batch_statuses(batch_id, IN_PROGRESS)
    approved = [(s, f) for s, f in members if s.state == TierState.city_approved]
    waiting = [(s, f) for s, f in members if s.state != TierState.city_approved]
    if not approved:
        raise BatchWithoutApproved(batch.label)
    before = audit.snapshot(batch)
    batch.state, batch.notice_from, batch.notice_to = BatchState.public_notice, start, end
    batch.updated_at = clock.utc_now()
    session.add(batch)
    await audit.record(
        session,
        actor,
        "tier.batch_notice",
        "tier_batch",
        batch.id,
        before=before,
        after=audit.snapshot(batch),
    )
    reason = f"{batch.label}公示（{start} 至 {end}）"
    for status, firm in approved:
        await transitions.move(session, actor, status, firm, TierState.public_notice, reason)
    for status, _ in waiting:  # no state change: only the batch is left, so audited, no transition
        before_status = audit.snapshot(status, exclude={"created_at", "updated_at"})
        status.batch_id, status.batch_label, status.updated_at = None, None, clock.utc_now()
        session.add(status)
        after = {
            **(audit.snapshot(status, exclude={"created_at", "updated_at"}) or {}),
            "left_batch_id": batch_id,
        }
        await audit.record(
            session, actor, "tier.batch_leave", "tier_status", status.id, before=before_status, after=after
        )
    return NoticeRead(
        batch=batch_read(batch),
        in_notice=[status_read(s, f) for s, f in approved],
        moved_out=[status_read(s, f) for s, f in waiting],
    )


async def _in_notice(repo: TierRepository, status: TierStatus, firm: Firm) -> TierBatch:
    batch = None if status.batch_id is None else await repo.batch(status.batch_id, for_update=True)
    if batch is None or batch.state != BatchState.public_notice or status.state != TierState.public_notice:
        raise NotInNotice(status.id or 0, firm.name)
    return batch


async def record_objection(
    session: AsyncSession, actor: Actor, status_id: int, body: ObjectionCreate
) -> ObjectionRead:
    """Record a written objection against a member while its batch is in 公示 (city, or its bureau)."""
    if actor.role not in (Role.city, Role.admin, Role.bureau):
        raise Forbidden("当前角色无权登记异议")
    repo = TierRepository(session)
    ((status, firm),) = await load_statuses(repo, actor, [status_id])
    await _in_notice(repo, status, firm)
    received_on = body.received_on or clock.today()
    if received_on > clock.today():
        raise Unprocessable("received_on", str(received_on), "收到异议的日期不能晚于今天")
    objection = Objection(
        tier_status_id=status_id, received_on=received_on, submitted_by=body.submitted_by,
        content=body.content, recorded_by_id=actor.user_id,
    )  # fmt: skip
    repo.add(objection)
    await session.flush()
    await audit.record(
        session,
        actor,
        "tier.objection_record",
        "tier_objection",
        objection.id,
        after=audit.snapshot(objection),
    )
    return ObjectionRead.model_validate(objection)


async def resolve_objection(
    session: AsyncSession, actor: Actor, objection_id: int, body: ObjectionResolve
) -> ObjectionRead:
    """Upheld: the member leaves 公示 as rejected (the resolution is the reason). Dismissed: it stays."""
    require_city(actor, "处理异议")
    repo = TierRepository(session)
    found = await repo.objection(objection_id)
    if found is None:
        raise ObjectionNotFound(objection_id)
    objection, status, firm = found
    if objection.outcome != "pending":
        raise ObjectionResolved(objection_id, objection.outcome)
    await _in_notice(repo, status, firm)
    before = audit.snapshot(objection)
    objection.outcome, objection.resolution = body.outcome, body.resolution
    objection.resolved_by_id, objection.resolved_at = actor.user_id, clock.utc_now()
    session.add(objection)
    if body.outcome == "upheld":
        await transitions.move(session, actor, status, firm, TierState.rejected, body.resolution)
    await audit.record(
        session,
        actor,
        "tier.objection_resolve",
        "tier_objection",
        objection_id,
        before=before,
        after=audit.snapshot(objection),
    )
    return ObjectionRead.model_validate(objection)


async def admit_batch(session: AsyncSession, actor: Actor, batch_id: int, body: AdmitRequest) -> AdmitRead:
    """公告入库: after the notice window and with every objection settled, number and admit the members.

    Numbers run per tier within the batch in bureau-code, then credit-code order:
    ``TJ-{prefix}-{year}-{seq:02d}-{n:04d}``; ``valid_from`` is the announcement date.
    """
    require_city(actor, "公告入库")
    repo = TierRepository(session)
    batch = await get_batch(repo, batch_id, for_update=True)
    transitions.BATCHES.check(batch.state, BatchState.admitted, subject=batch.label)
    assert batch.notice_to is not None  # set when its 公示 started
    today = clock.today()
    announced_on = body.announced_on or today
    if announced_on > today:
        raise Unprocessable("announced_on", str(announced_on), "公告入库日期不能晚于今天")
    if announced_on <= batch.notice_to:
        raise NoticeNotOver(batch.label, batch.notice_to, announced_on)
    pending = await repo.pending_objections(batch_id)
    if pending:
        raise ObjectionsPending(batch.label, pending)
    numbers: dict[str, int] = {}
    admitted = []
    for status, firm in await repo.batch_statuses(batch_id, [TierState.public_notice]):
        numbers[status.tier] = n = numbers.get(status.tier, 0) + 1
        number = f"TJ-{TIER_PREFIXES[Tier(status.tier)]}-{batch.year}-{batch.seq:02d}-{n:04d}"
        await transitions.move(
            session, actor, status, firm, TierState.admitted, f"{batch.label}公告入库，入库登记编号 {number}",
            admission_no=number, valid_from=announced_on,
        )  # fmt: skip
        admitted.append(status_read(status, firm))
    before = audit.snapshot(batch)
    batch.state, batch.announced_on, batch.updated_at = BatchState.admitted, announced_on, clock.utc_now()
    session.add(batch)
    await audit.record(
        session, actor, "tier.batch_admit", "tier_batch", batch.id, before=before, after=audit.snapshot(batch)
    )
    return AdmitRead(batch=batch_read(batch), admitted=admitted)
