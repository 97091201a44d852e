"""The job runs page: what the scheduler ran, when, how it went and what it did."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from backend.core.db import SessionDep
from backend.core.pagination import PageParams
from backend.core.params import PageQuery
from backend.jobs import service as job_service
from backend.jobs.schemas import JobRunRead
from backend.jobs.tasks import JOB_LABELS
from backend.web.paging import Pager
from backend.web.render import render
from backend.web.session import ViewerDep
from vocabulary.figures import label_of
from vocabulary.states import IMPORT_RUN_LABELS, JOB_STATUS_LABELS, ImportRunStatus, JobStatus

pages = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
STATUS_BADGES = {"succeeded": "pass", "failed": "fail", "interrupted": "fail", "running": "unknown",
                 "idle": "provisional"}  # fmt: skip
# What the jobs count (backend/jobs/*: inbox, nightly evaluation, scheduled exports, reminders).
COUNT_LABELS = {
    "files": "文件", "done": IMPORT_RUN_LABELS[ImportRunStatus.committed], "failed": JOB_STATUS_LABELS[JobStatus.failed], "year": "年度", "firms": "企业", "evaluated": "已评价",
    "unchanged": "未变化", "bureaus": label_of("bureau"), "rows": "行", "reminders": "提醒", "hte_expiring": "高企证书到期",
    "annual_filing": "年度数据未填报", "tech_sme": "科小未登记",
}  # fmt: skip


@pages.get("/jobs")
async def job_runs_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    job: Annotated[str | None, Query(max_length=60)] = None,
    idle: Annotated[bool, Query()] = False,
    page: PageQuery = 1,
) -> Response:
    """Job runs, newest first; runs that found nothing to do only when asked for."""
    job = job or None
    paging = PageParams(page=page, size=PAGE_SIZE)
    runs, total = await job_service.list_runs(
        session, viewer.actor, job_id=job, offset=paging.offset, limit=paging.size, idle=idle
    )
    query = {"job": job, "idle": "true" if idle else None}
    context: dict[str, Any] = {
        "runs": [JobRunRead.of(r) for r in runs],
        "total": total,
        "job": job,
        "idle": idle,
        "jobs": list(JOB_LABELS.items()),
        "status_labels": JOB_STATUS_LABELS,
        "badges": STATUS_BADGES,
        "count_labels": COUNT_LABELS,
        "pager": Pager.at("/jobs", query, page=page, total=total, size=PAGE_SIZE),
    }
    return render(request, "jobs/runs.html", context)
