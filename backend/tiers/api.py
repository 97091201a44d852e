"""Tier admission (/api/tiers: batches, candidates, reviews, 公示, objections, 公告入库, 复评) and a
firm's tier history (/api/firms/{uscc}/tiers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.auth.deps import ActorDep
from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.core.pagination import Page, PageParams
from backend.core.params import PageQuery, SizeQuery
from backend.firms.params import UsccPath
from backend.tiers import annual_review, publication
from backend.tiers import service as tier_service
from backend.tiers.repository import MemberFilter
from backend.tiers.schemas import (
    AdmitRead,
    AdmitRequest,
    AnnualReviewRead,
    AnnualReviewRequest,
    BatchCreate,
    BatchDetailRead,
    BatchMemberRead,
    BatchRead,
    CityReviewRequest,
    NominationRead,
    NoticeRead,
    NoticeRequest,
    ObjectionCreate,
    ObjectionRead,
    ObjectionResolve,
    ReviewRequest,
    StatusRead,
    TierStatusRead,
)
from vocabulary.ladder import Tier
from vocabulary.states import TierState

history_router = APIRouter(prefix="/api/firms/{uscc}/tiers", tags=["tiers"])
workflow = APIRouter(prefix="/api/tiers", tags=["tiers"])
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422)


@history_router.get("", response_model=list[TierStatusRead], responses=error_responses(401, 404, 422))
async def tier_history(uscc: UsccPath, session: SessionDep, actor: ActorDep) -> list[TierStatusRead]:
    """Each tier and year the firm was considered for, with every state change."""
    return await tier_service.tier_history(session, actor, uscc)


@workflow.post("/batches", status_code=201, response_model=BatchRead, responses=WRITE_ERRORS)
async def create_batch(body: BatchCreate, session: SessionDep, actor: ActorDep) -> BatchRead:
    """Open the next admission batch of a year (市科技局)."""
    return await tier_service.create_batch(session, actor, body.year)


@workflow.get("/batches", response_model=Page[BatchRead], responses=error_responses(401, 422))
async def list_batches(
    session: SessionDep,
    actor: ActorDep,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度")] = None,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[BatchRead]:
    """Admission batches, newest first."""
    return await tier_service.list_batches(session, actor, year, PageParams(page=page, size=size))


@workflow.get("/batches/{batch_id:int}", response_model=BatchDetailRead, responses=error_responses(401, 404))
async def read_batch(batch_id: Id, session: SessionDep, actor: ActorDep) -> BatchDetailRead:
    """One batch with its member counts per tier and state (bureau users: their own firms)."""
    return await tier_service.batch_detail(session, actor, batch_id)


@workflow.get(
    "/batches/{batch_id:int}/members",
    response_model=Page[BatchMemberRead],
    responses=error_responses(401, 404, 422),
)
async def batch_members(
    batch_id: Id,
    session: SessionDep,
    actor: ActorDep,
    tier: Annotated[Tier | None, Query(description="梯度")] = None,
    bureau: Annotated[str | None, Query(max_length=16, description="审查单位代码")] = None,
    state: Annotated[TierState | None, Query(description="状态")] = None,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[BatchMemberRead]:
    """A batch's members with admission numbers and objections, ordered tier, bureau, credit code."""
    where = MemberFilter(tier=tier, bureau_code=bureau, state=state)
    return await tier_service.member_page(session, actor, batch_id, where, PageParams(page=page, size=size))


@workflow.post("/batches/{batch_id:int}/nominate", response_model=NominationRead, responses=WRITE_ERRORS)
async def nominate(batch_id: Id, session: SessionDep, actor: ActorDep) -> NominationRead:
    """Make firms with an eligible evaluation of the batch's year candidates in this batch."""
    return await tier_service.nominate(session, actor, batch_id)


@workflow.post("/district-review", response_model=list[StatusRead], responses=WRITE_ERRORS)
async def district_review(body: ReviewRequest, session: SessionDep, actor: ActorDep) -> list[StatusRead]:
    """区审查 of candidates: approve or reject (with a reason), all listed records or none."""
    return await tier_service.district_review(session, actor, body)


@workflow.post("/city-review", response_model=list[StatusRead], responses=WRITE_ERRORS)
async def city_review(body: CityReviewRequest, session: SessionDep, actor: ActorDep) -> list[StatusRead]:
    """市级审核 of district-approved records (现场调查 note required for the leader tiers)."""
    return await tier_service.city_review(session, actor, body)


@workflow.post("/batches/{batch_id:int}/notice", response_model=NoticeRead, responses=WRITE_ERRORS)
async def start_notice(
    batch_id: Id, session: SessionDep, actor: ActorDep, body: NoticeRequest | None = None
) -> NoticeRead:
    """Start the batch's 公示 (default: 7 days from today)."""
    return await publication.start_notice(session, actor, batch_id, body or NoticeRequest())


@workflow.post(
    "/statuses/{status_id:int}/objections",
    status_code=201,
    response_model=ObjectionRead,
    responses=WRITE_ERRORS,
)
async def record_objection(
    status_id: Id, body: ObjectionCreate, session: SessionDep, actor: ActorDep
) -> ObjectionRead:
    """Record a written objection against a member in 公示."""
    return await publication.record_objection(session, actor, status_id, body)


@workflow.post("/objections/{objection_id:int}/resolve", response_model=ObjectionRead, responses=WRITE_ERRORS)
async def resolve_objection(
    objection_id: Id, body: ObjectionResolve, session: SessionDep, actor: ActorDep
) -> ObjectionRead:
    """Decide an objection: upheld rejects the member, dismissed keeps it in 公示."""
    return await publication.resolve_objection(session, actor, objection_id, body)


@workflow.post("/batches/{batch_id:int}/admit", response_model=AdmitRead, responses=WRITE_ERRORS)
async def admit_batch(
    batch_id: Id, session: SessionDep, actor: ActorDep, body: AdmitRequest | None = None
) -> AdmitRead:
    """公告入库 after the notice window, with every objection decided: admission numbers are given."""
    return await publication.admit_batch(session, actor, batch_id, body or AdmitRequest())


@workflow.post("/reviews", response_model=AnnualReviewRead, responses=WRITE_ERRORS)
async def run_annual_review(
    body: AnnualReviewRequest, session: SessionDep, actor: ActorDep
) -> AnnualReviewRead:
    """复评 of a year over every firm admitted in an earlier year."""
    return await annual_review.annual_review(session, actor, body.year)


router = APIRouter()
router.include_router(history_router)
router.include_router(workflow)
