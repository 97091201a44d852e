"""The job runs page: runs newest first with their labels, outcomes and counts; who may look."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import JobRun
from tests.backend.pages_support import browse_as
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import Role

FIRED = datetime(2031, 3, 4, 1, 0, tzinfo=UTC)  # 09:00 in Tianjin


async def add_run(
    session: AsyncSession,
    job_id: str,
    status: str,
    minutes: int,
    counts: dict[str, Any],
    error: str | None = None,
) -> JobRun:
    run = JobRun(job_id=job_id, fire_time=FIRED + timedelta(minutes=minutes), status=status, worker="host:42",
                 counts=counts, error=error, started_at=FIRED + timedelta(minutes=minutes),
                 finished_at=FIRED + timedelta(minutes=minutes + 1))  # fmt: skip
    session.add(run)
    await session.flush()
    return run


async def test_the_job_runs_page_lists_a_run_with_its_label_status_and_counts(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_run(session, "inbox", "succeeded", 0, counts={"files": 2, "done": 2, "failed": 0})
    await add_run(session, "nightly_evaluation", "failed", 5, counts={}, error="RuntimeError: 数据库连接中断")
    await add_run(session, "inbox", "idle", 10, counts={"files": 0})
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    answer = await client.get("/jobs")
    assert answer.status_code == 200
    page = answer.text
    assert "收件箱导入" in page
    assert 'class="badge pass">成功</span>' in page
    assert "已导入 2" in page
    assert "夜间重新评价" in page
    assert 'class="badge fail">失败</span>' in page
    assert "RuntimeError: 数据库连接中断" in page
    assert page.index("夜间重新评价</td>") < page.index("收件箱导入</td>")  # newest first
    assert "2031-03-04 09:00" in page
    assert "无事可做</span>" not in page  # idle runs only when asked for
    with_idle = await client.get("/jobs", params={"idle": "true", "job": "inbox"})
    assert "无事可做</span>" in with_idle.text
    assert "夜间重新评价</td>" not in with_idle.text


async def test_an_enterprise_may_not_see_job_runs(client: httpx.AsyncClient, session: AsyncSession) -> None:
    firm = await make_firm(session)
    browse_as(client, await make_user(session, Role.enterprise, firm=firm))
    answer = await client.get("/jobs")
    assert answer.status_code == 403
    assert "当前角色无权查看后台任务" in answer.text


async def test_the_api_lists_idle_runs_only_when_asked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await add_run(session, "inbox", "succeeded", 0, counts={"files": 1, "done": 1, "failed": 0})
    await add_run(session, "inbox", "idle", 10, counts={"files": 0})
    city = await make_user(session, Role.city)
    quiet = await client.get("/api/jobs", params={"job": "inbox"}, headers=city.headers)
    assert [run["status"] for run in quiet.json()["items"]] == ["succeeded"]
    everything = await client.get("/api/jobs", params={"job": "inbox", "idle": "true"}, headers=city.headers)
    assert [run["status"] for run in everything.json()["items"]] == ["idle", "succeeded"]
