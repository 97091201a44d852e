"""A firm's status with explained decisions, what-if evaluations, and what another rule version would change."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter

from backend.auth.deps import ActorDep
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.evaluations import impact as impact_service
from backend.evaluations import status as status_service
from backend.evaluations.schemas import DecisionRead, FirmStatus, FirmStatusSummary, WhatIfRequest
from backend.firms.params import UsccPath
from backend.rulesets.schemas import DiffRead, DiffRequest

router = APIRouter(prefix="/api", tags=["evaluations"])
# Listed with the rule sets it compares, under their path.
impact_router = APIRouter(prefix="/api/rules", tags=["rules"])


@router.get(
    "/firms/{uscc}/status",
    response_model=FirmStatusSummary | FirmStatus,
    responses=error_responses(401, 403, 404, 422),
)
async def firm_status(
    uscc: UsccPath,
    session: SessionDep,
    actor: ActorDep,
    year: Annotated[int | None, Query(ge=2000, le=2200, description="申报年度（默认今年）")] = None,
    detail: Annotated[
        Literal["summary", "full"],
        Query(
            description="summary（默认）：企业梯度状态页所示内容；full：另含每项条件的规则表达式与调整建议、各项目的晋级建议和规则内容哈希"
        ),
    ] = "summary",
) -> Response:
    """Tiers held, every program decided on current figures with each criterion explained, next-rung advice."""
    status = await status_service.firm_status(session, actor, uscc, year, full=detail == "full")
    # Serialised by its own class, once: the route's union would have it checked against both
    # shapes first (the answer is built from typed objects already).
    body = _STATUS_JSON[type(status)].dump_json(status)
    return Response(body, media_type="application/json")


_STATUS_JSON = {shape: TypeAdapter(shape) for shape in (FirmStatusSummary, FirmStatus)}


@router.post("/what-if", response_model=list[DecisionRead], responses=error_responses(401, 403, 404, 422))
async def what_if(body: WhatIfRequest, session: SessionDep, actor: ActorDep) -> list[DecisionRead]:
    """Decisions on changed figures (not stored). Enterprises only for their own firm."""
    return await status_service.what_if(session, actor, body)


@impact_router.post("/diff", response_model=DiffRead, responses=error_responses(401, 403, 404, 422))
async def diff_versions(body: DiffRequest, session: SessionDep, actor: ActorDep) -> DiffRead:
    """Evaluate the registry under two versions: gains, losses with reasons, award money moved per bureau."""
    return await impact_service.impact(session, actor, body)
