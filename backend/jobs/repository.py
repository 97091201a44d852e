"""job_run rows: the claim on a fire time, the outcome, the list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.models import JobRun


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, job_id: str, fire_time: datetime, worker: str) -> int | None:
        """The new run's id, or None when another process already claimed this fire time."""
        statement = (
            insert(JobRun)
            .values(job_id=job_id, fire_time=fire_time, status="running", worker=worker, counts={},
                    started_at=clock.utc_now())
            .on_conflict_do_nothing(index_elements=["job_id", "fire_time"])
            .returning(col(JobRun.id))
        )  # fmt: skip
        return (await self.session.exec(statement)).scalar_one_or_none()

    async def finish(self, run_id: int, status: str, counts: dict[str, Any], error: str | None) -> None:
        statement = (
            update(JobRun)
            .where(col(JobRun.id) == run_id)
            .values(status=status, counts=counts, error=error, finished_at=clock.utc_now())
        )
        await self.session.exec(statement)

    async def prune_idle(self, job_id: str, *, before: datetime) -> None:
        statement = delete(JobRun).where(
            col(JobRun.job_id) == job_id, col(JobRun.status) == "idle", col(JobRun.fire_time) < before
        )
        await self.session.exec(statement)

    async def interrupt_running(self) -> int:
        """Runs a dead leader left 'running' (only the leader runs jobs): marked interrupted."""
        statement = (
            update(JobRun)
            .where(col(JobRun.status) == "running")
            .values(status="interrupted", finished_at=clock.utc_now(), error="调度进程中断，本次运行未完成")
        )
        result = await self.session.exec(statement)
        return int(result.rowcount or 0)

    async def runs(
        self, job_id: str | None, *, idle: bool, offset: int, limit: int
    ) -> tuple[Sequence[JobRun], int]:
        statement = select(JobRun).order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc())
        counting = select(func.count()).select_from(JobRun)
        if job_id is not None:
            statement = statement.where(JobRun.job_id == job_id)
            counting = counting.where(JobRun.job_id == job_id)
        if not idle:
            statement = statement.where(JobRun.status != "idle")
            counting = counting.where(JobRun.status != "idle")
        rows = (await self.session.exec(statement.offset(offset).limit(limit))).all()
        return rows, (await self.session.exec(counting)).one()
