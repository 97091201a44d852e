"""Tier admission (policy.md §1.3): batches, candidates and the two reviews, batch lists, and a
firm's tier history. 公示, objections and 公告入库 are in ``publication``, 复评 in ``annual_review``.

City staff (and admins, and the CLI operator) run the workflow; a bureau user reviews and records
objections for its own bureau's firms only, and records of other bureaus do not exist for it
(404, as for firms). Every change is checked against the state machine (``transitions``) before
anything is written, writes a transition row and an audit row, and happens in the request's one
transaction: a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Forbidden, Unprocessable
from backend.core.pagination import Page, PageParams
from backend.core.security import Actor
from backend.firms import service as firm_service
from backend.models import Bureau, Firm, TierBatch, TierStatus
from backend.reference import service as reference
from backend.tiers import transitions
from backend.tiers.errors import (
    BatchClosed,
    BatchNotFound,
    StatusNotFound,
    state_label,
)
from backend.tiers.repository import MemberFilter, TierRepository
from backend.tiers.schemas import (
    BatchDetailRead,
    BatchMemberRead,
    BatchMemberRow,
    BatchRead,
    CityReviewRequest,
    NominationRead,
    ObjectionRead,
    ReviewRequest,
    StatusRead,
    TierStatusRead,
    TierTransitionRead,
)
from vocabulary.ladder import TIER_LABELS, Tier
from vocabulary.states import BATCH_STATE_LABELS, TIER_STATE_LABELS, BatchState, Role, TierState

NOMINATED = "评价结果为“符合”，列为候选"
SITE_CHECKED = frozenset({Tier.leader, Tier.leader_candidate})  # 现场调查 before city approval


async def tier_history(session: AsyncSession, actor: Actor, raw_uscc: str) -> list[TierStatusRead]:
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    statuses: dict[int, TierStatusRead] = {}
    for status, transition in await TierRepository(session).history(firm.id):
        assert status.id is not None
        read = statuses.setdefault(
            status.id,
            TierStatusRead(
                tier=status.tier,
                tier_label=TIER_LABELS[Tier(status.tier)],
                year=status.year,
                state=status.state,
                batch_label=status.batch_label,
                admission_no=status.admission_no,
                valid_from=status.valid_from,
                valid_to=status.valid_to,
                transitions=[],
            ),
        )
        read.transitions.append(
            TierTransitionRead(
                from_state=transition.from_state,
                to_state=transition.to_state,
                actor=transition.actor_label,
                reason=transition.reason,
                at=transition.at,
            )
        )
    return list(statuses.values())


# -- who may do what ----------------------------------------------------------------------


def require_city(actor: Actor, action: str) -> None:
    if actor.role not in (Role.city, Role.admin):
        raise Forbidden(f"只有市科技局可以{action}")


def _require_district_reviewer(actor: Actor) -> None:
    if actor.role not in (Role.bureau, Role.city, Role.admin):
        raise Forbidden("当前角色无权进行区审查")


def _visible(actor: Actor, firm: Firm) -> bool:
    return firm.id is not None and actor.sees_firm(firm.id, firm.bureau_code)


def _reason(value: str | None, field: str, message: str) -> str:
    if not value:
        raise Unprocessable(field, value, message)
    return value


async def load_statuses(
    repo: TierRepository, actor: Actor, ids: Sequence[int]
) -> list[tuple[TierStatus, Firm]]:
    """The requested records, locked, in request order; the first missing or unseen one is named."""
    wanted = list(dict.fromkeys(ids))
    found = await repo.statuses(wanted, for_update=True)
    for status_id in wanted:
        if status_id not in found or not _visible(actor, found[status_id][1]):
            raise StatusNotFound(status_id)
    return [found[status_id] for status_id in wanted]


async def get_batch(repo: TierRepository, batch_id: int, *, for_update: bool = False) -> TierBatch:
    batch = await repo.batch(batch_id, for_update=for_update)
    if batch is None:
        raise BatchNotFound(batch_id)
    return batch


# -- shapes ---------------------------------------------------------------------------------


def batch_read(batch: TierBatch) -> BatchRead:
    return BatchRead(
        id=batch.id or 0,
        year=batch.year,
        seq=batch.seq,
        label=batch.label,
        state=batch.state,
        state_label=BATCH_STATE_LABELS[batch.state],
        notice_from=batch.notice_from,
        notice_to=batch.notice_to,
        announced_on=batch.announced_on,
    )


def status_read(status: TierStatus, firm: Firm) -> StatusRead:
    return StatusRead(
        id=status.id or 0,
        uscc=firm.uscc,
        firm_name=firm.name,
        bureau_code=firm.bureau_code,
        tier=status.tier,
        year=status.year,
        state=status.state,
        state_label=state_label(status.state),
        batch_id=status.batch_id,
        admission_no=status.admission_no,
        valid_from=status.valid_from,
    )


def _member_row(status: TierStatus, firm: Firm, bureau: Bureau) -> BatchMemberRow:
    return BatchMemberRow(
        status_id=status.id or 0,
        uscc=firm.uscc,
        name=firm.name,
        bureau_code=firm.bureau_code,
        bureau_name=bureau.name,
        district_code=firm.district_code,
        tier=status.tier,
        tier_label=TIER_LABELS[Tier(status.tier)],
        state=status.state,
        year=status.year,
        admission_no=status.admission_no,
        valid_from=status.valid_from,
    )


# -- batches --------------------------------------------------------------------------------


async def create_batch(session: AsyncSession, actor: Actor, year: int) -> BatchRead:
    """Open the next batch of ``year`` (2025年第1批, 第2批 …)."""
    require_city(actor, "创建入库批次")
    repo = TierRepository(session)
    seq = await repo.next_seq(year)
    batch = TierBatch(year=year, seq=seq, label=f"{year}年第{seq}批", state=BatchState.open)
    repo.add(batch)
    await session.flush()
    await audit.record(
        session, actor, "tier.batch_create", "tier_batch", batch.id, after=audit.snapshot(batch)
    )
    return batch_read(batch)


async def list_batches(
    session: AsyncSession, actor: Actor, year: int | None, paging: PageParams
) -> Page[BatchRead]:
    """Batches, newest first. Batch names and dates are public: every role may read them."""
    batches, total = await TierRepository(session).batches(year, offset=paging.offset, limit=paging.size)
    return Page(items=[batch_read(b) for b in batches], total=total, page=paging.page, size=paging.size)


async def batch_detail(session: AsyncSession, actor: Actor, batch_id: int) -> BatchDetailRead:
    """The batch with its member counts per tier and state (within the actor's scope)."""
    repo = TierRepository(session)
    batch = await get_batch(repo, batch_id)
    return (await _with_counts(repo, actor, [batch_read(batch)]))[0]


async def list_batch_details(
    session: AsyncSession, actor: Actor, year: int | None, paging: PageParams
) -> Page[BatchDetailRead]:
    """``list_batches`` with each batch's member counts (one query for the whole page)."""
    listed = await list_batches(session, actor, year, paging)
    items = await _with_counts(TierRepository(session), actor, listed.items)
    return Page(items=items, total=listed.total, page=listed.page, size=listed.size)


async def _with_counts(
    repo: TierRepository, actor: Actor, batches: Sequence[BatchRead]
) -> list[BatchDetailRead]:
    counts: dict[int, dict[str, dict[str, int]]] = {b.id: {} for b in batches}
    for batch_id, tier, state, n in await repo.counts(actor, [b.id for b in batches]):
        counts[batch_id].setdefault(tier, {})[state] = n
    return [BatchDetailRead(**b.model_dump(), counts=counts[b.id]) for b in batches]


async def member_page(
    session: AsyncSession, actor: Actor, batch_id: int, where: MemberFilter, paging: PageParams
) -> Page[BatchMemberRead]:
    """One page of a batch's members with their objections; bureau users see their own firms only."""
    repo = TierRepository(session)
    await get_batch(repo, batch_id)
    if where.bureau_code:
        await reference.require_bureau(session, where.bureau_code, field="bureau")
    rows, total = await repo.members(actor, batch_id, where, offset=paging.offset, limit=paging.size)
    objections = await repo.objections_of([s.id for s, _, _ in rows if s.id is not None])
    items = [
        BatchMemberRead(
            **_member_row(status, firm, bureau).model_dump(),
            state_label=state_label(status.state),
            objections=[ObjectionRead.model_validate(o) for o in objections.get(status.id or 0, [])],
        )
        for status, firm, bureau in rows
    ]
    return Page(items=items, total=total, page=paging.page, size=paging.size)


async def nominate(session: AsyncSession, actor: Actor, batch_id: int) -> NominationRead:
    """Make every firm eligible for a tier in the batch's year a candidate in this batch.

    Only ``eligible`` decisions count (``unknown`` and ``ineligible`` never do); a firm with a
    record for the tier and year already, or admitted to that tier or a higher one, is left out,
    so running it again adds nothing. Candidates of the year that left an earlier batch at its
    公示 (not yet approved then) join this one.
    """
    require_city(actor, "列入候选")
    repo = TierRepository(session)
    batch = await get_batch(repo, batch_id, for_update=True)
    if batch.state != BatchState.open:
        raise BatchClosed(batch.label, batch.state)
    result = NominationRead(batch_id=batch_id, year=batch.year, created={}, attached={})
    for tier in Tier:
        rows = await repo.eligible_without_status(tier, batch.year)
        statuses = [
            TierStatus(
                firm_id=firm_id, tier=tier, year=batch.year, state=TierState.candidate,
                batch_id=batch.id, batch_label=batch.label, evaluation_id=evaluation_id,
            )
            for firm_id, evaluation_id in rows
        ]  # fmt: skip
        session.add_all(statuses)
        await session.flush()
        for status in statuses:
            await transitions.create(session, actor, status, NOMINATED)
        result.created[tier.value] = len(statuses)
    for status in await repo.waiting(batch.year):
        before = audit.snapshot(status, exclude={"created_at", "updated_at"})
        status.batch_id, status.batch_label, status.updated_at = batch.id, batch.label, clock.utc_now()
        session.add(status)
        after = audit.snapshot(status, exclude={"created_at", "updated_at"})
        await audit.record(
            session, actor, "tier.batch_join", "tier_status", status.id, before=before, after=after
        )
        result.attached[status.tier] = result.attached.get(status.tier, 0) + 1
    return result


# -- reviews ----------------------------------------------------------------------------------


async def district_review(session: AsyncSession, actor: Actor, body: ReviewRequest) -> list[StatusRead]:
    """区审查, all or nothing: candidates → district_approved, or → rejected with a reason."""
    _require_district_reviewer(actor)
    if body.decision == "approve":
        to_state = TierState.district_approved
        reason = body.reason or TIER_STATE_LABELS[to_state]
    else:
        to_state = TierState.rejected
        reason = "区审查未通过：" + _reason(body.reason, "reason", "驳回须填写理由")
    rows = await load_statuses(TierRepository(session), actor, body.status_ids)
    for status, firm in rows:
        transitions.require(status, firm, to_state, from_state=TierState.candidate)
    for status, firm in rows:
        await transitions.move(session, actor, status, firm, to_state, reason)
    return [status_read(status, firm) for status, firm in rows]


async def city_review(session: AsyncSession, actor: Actor, body: CityReviewRequest) -> list[StatusRead]:
    """市级审核 (with 现场调查 for the two leader tiers), all or nothing."""
    require_city(actor, "进行市级审核")
    if body.decision == "reject":
        reason = "市级审核未通过：" + _reason(body.reason, "reason", "驳回须填写理由")
    rows = await load_statuses(TierRepository(session), actor, body.status_ids)
    to_state = TierState.city_approved if body.decision == "approve" else TierState.rejected
    for status, firm in rows:
        transitions.require(status, firm, to_state, from_state=TierState.district_approved)
    if body.decision == "approve":
        unchecked = [(s, f) for s, f in rows if s.tier in SITE_CHECKED and not body.site_check]
        if unchecked:
            named = "、".join(f"#{s.id}（{f.name}）" for s, f in unchecked)
            raise Unprocessable(
                "site_check", None, f"科技领军企业、科技领军培育企业须填写现场调查情况：{named}"
            )
    for status, firm in rows:
        if body.decision == "approve":
            reason = (
                f"现场调查：{body.site_check}"
                if status.tier in SITE_CHECKED
                else body.reason or TIER_STATE_LABELS[TierState.city_approved]
            )
        await transitions.move(session, actor, status, firm, to_state, reason)
    return [status_read(status, firm) for status, firm in rows]
