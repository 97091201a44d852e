"""Reading job runs (who may, which)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.errors import Forbidden
from backend.core.security import Actor
from backend.jobs.repository import JobRepository
from backend.models import JobRun
from vocabulary.states import Role


async def list_runs(
    session: AsyncSession, actor: Actor, *, job_id: str | None, offset: int, limit: int, idle: bool = False
) -> tuple[Sequence[JobRun], int]:
    if actor.role is Role.enterprise:
        raise Forbidden("当前角色无权查看后台任务")
    return await JobRepository(session).runs(job_id, idle=idle, offset=offset, limit=limit)
