"""Scheduled job runs: what ran when, how it went, what it did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.auth.deps import ActorDep
from backend.core.db import SessionDep
from backend.core.openapi import error_responses
from backend.core.pagination import Page, PageParams
from backend.core.params import PageQuery, SizeQuery
from backend.jobs import service as job_service
from backend.jobs.schemas import JobRunRead

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("", response_model=Page[JobRunRead], responses=error_responses(401, 403, 422))
async def list_job_runs(
    session: SessionDep,
    actor: ActorDep,
    job: Annotated[str | None, Query(description="只看某个任务，如 inbox")] = None,
    idle: Annotated[bool, Query(description="包括无事可做的运行（如收件箱为空）")] = False,
    page: PageQuery = 1,
    size: SizeQuery = 50,
) -> Page[JobRunRead]:
    """Job runs, newest first."""
    params = PageParams(page=page, size=size)
    runs, total = await job_service.list_runs(
        session, actor, job_id=job, offset=params.offset, limit=params.size, idle=idle
    )
    return Page(items=[JobRunRead.of(r) for r in runs], total=total, page=page, size=size)
