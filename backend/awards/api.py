"""Awards: compute from evaluations, review, approve, reject, pay, correct; budgets and exclusions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from backend.auth.deps import ActorDep
from backend.awards import budgets as budget_service
from backend.awards import reads as award_reads
from backend.awards import service as award_service
from backend.awards.repository import AwardFilter
from backend.awards.schemas import (
    AwardDetail,
    AwardRead,
    BudgetRead,
    BudgetWrite,
    ComputeRequest,
    ComputeResult,
    CorrectRequest,
    ExclusionCreate,
    ExclusionRead,
    IdsRequest,
    PaidRequest,
    RejectRequest,
    SummaryRead,
    TransitionResult,
)
from backend.awards.service import Moved
from backend.core.bounds import Id
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.core.pagination import Page, PageParams
from backend.core.params import PageQuery, SizeQuery
from vocabulary.states import AwardState

router = APIRouter(prefix="/api/awards", tags=["awards"])
Year = Annotated[int, Query(ge=2000, le=2100, description="奖励年度")]
MOVE_ERRORS = error_responses(401, 403, 404, 409, 422)


def _moved(moved: Moved) -> TransitionResult:
    return TransitionResult(
        awards=[AwardRead.model_validate(a) for a in moved.awards], warnings=moved.warnings
    )


@router.post("/compute", response_model=ComputeResult, responses=error_responses(401, 403, 422))
async def compute(body: ComputeRequest, session: SessionDep, actor: ActorDep) -> ComputeResult:
    """Compute the year's awards from the latest eligible evaluations (idempotent)."""
    return await award_service.compute_awards(session, actor, body.year, body.program)


@router.get("", response_model=Page[AwardRead], responses=error_responses(401))
async def list_awards(
    session: SessionDep,
    actor: ActorDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    program: Annotated[str | None, Query(max_length=40)] = None,
    state: AwardState | None = None,
    bureau: Annotated[str | None, Query(max_length=16)] = None,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[AwardRead]:
    """Awards in the caller's scope (superseded ones only through an award's chain)."""
    params = PageParams(page=page, size=size)
    where = AwardFilter(year=year, program=program, state=state, bureau=bureau)
    awards, total = await award_reads.list_awards(
        session, actor, where, offset=params.offset, limit=params.size
    )
    return Page(items=[AwardRead.model_validate(a) for a in awards], total=total, page=page, size=size)


@router.get("/summary", response_model=SummaryRead, responses=error_responses(401, 403))
async def summary(year: Year, session: SessionDep, actor: ActorDep) -> SummaryRead:
    """Per program: counts and sums by state, the budget and what remains."""
    return await budget_service.summary(session, actor, year)


@router.put("/budgets/{program}/{year}", response_model=BudgetRead, responses=error_responses(401, 403, 422))
async def put_budget(
    program: Annotated[str, Path(max_length=40)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: BudgetWrite,
    session: SessionDep,
    actor: ActorDep,
) -> BudgetRead:
    """Set a program's budget for a year."""
    budget = await budget_service.set_budget(session, actor, program, year, body.amount_yuan, body.note)
    return BudgetRead.model_validate(budget)


@router.get("/exclusions", response_model=list[ExclusionRead], responses=error_responses(401, 403))
async def list_exclusions(session: SessionDep, actor: ActorDep) -> list[ExclusionRead]:
    """Firms kept out of awards."""
    return await budget_service.list_exclusions(session, actor)


@router.post(
    "/exclusions", status_code=201, response_model=ExclusionRead, responses=error_responses(401, 403, 422)
)
async def create_exclusion(body: ExclusionCreate, session: SessionDep, actor: ActorDep) -> ExclusionRead:
    """Keep a firm out of one award program, or of all, from a year on."""
    return await budget_service.create_exclusion(session, actor, body)


@router.delete(
    "/exclusions/{exclusion_id:int}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 404),
)
async def delete_exclusion(exclusion_id: Id, session: SessionDep, actor: ActorDep) -> Response:
    """Lift an exclusion."""
    await budget_service.delete_exclusion(session, actor, exclusion_id)
    return Response(status_code=204)


@router.post("/district-review", response_model=TransitionResult, responses=MOVE_ERRORS)
async def district_review(body: IdsRequest, session: SessionDep, actor: ActorDep) -> TransitionResult:
    """computed → district_reviewed, all listed awards or none."""
    return _moved(await award_service.district_review(session, actor, body.award_ids, body.reason))


@router.post("/approve", response_model=TransitionResult, responses=MOVE_ERRORS)
async def approve(body: IdsRequest, session: SessionDep, actor: ActorDep) -> TransitionResult:
    """district_reviewed → approved; ``warnings`` name budgets exceeded."""
    return _moved(await award_service.approve(session, actor, body.award_ids, body.reason))


@router.post("/reject", response_model=TransitionResult, responses=MOVE_ERRORS)
async def reject(body: RejectRequest, session: SessionDep, actor: ActorDep) -> TransitionResult:
    """computed | district_reviewed → rejected, with a reason."""
    return _moved(await award_service.reject(session, actor, body.award_ids, body.reason))


@router.post("/mark-paid", response_model=TransitionResult, responses=MOVE_ERRORS)
async def mark_paid(body: PaidRequest, session: SessionDep, actor: ActorDep) -> TransitionResult:
    """exported → paid, with the payment date and reference."""
    return _moved(
        await award_service.mark_paid(session, actor, body.award_ids, body.paid_on, body.payment_ref)
    )


@router.get("/{award_id:int}", response_model=AwardDetail, responses=error_responses(401, 404))
async def read_award(award_id: Id, session: SessionDep, actor: ActorDep) -> AwardDetail:
    """One award with its events and its correction chain."""
    return await award_reads.get_award(session, actor, award_id)


@router.post("/{award_id:int}/correct", status_code=201, response_model=AwardRead, responses=MOVE_ERRORS)
async def correct(award_id: Id, body: CorrectRequest, session: SessionDep, actor: ActorDep) -> AwardRead:
    """Replace an unpaid award by a corrected one (which must be reviewed again)."""
    award = await award_service.correct_award(session, actor, award_id, body.amount_yuan, body.reason)
    return AwardRead.model_validate(award)
