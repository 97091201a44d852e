"""`tidu scheduler` and `tidu jobs …`."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.commands.common import console, fail, in_transaction, operator
from backend.core import clock
from backend.core.config import get_settings
from backend.core.db import database_url, dispose_engine, make_engine, make_session_factory
from backend.core.embedded_pg import EmbeddedPostgresError
from backend.core.logs import configure_logging
from backend.core.parent_watch import die_with_parent
from backend.jobs import service as job_service
from backend.jobs import tasks
from backend.jobs.runner import JobContext, run_claimed
from backend.jobs.scheduler import run_scheduler
from backend.jobs.schemas import JobRunRead

jobs_app = typer.Typer(no_args_is_help=True, help="后台任务：立即运行、查看运行记录")


def scheduler(
    parent_pid: Annotated[
        int | None, typer.Option(hidden=True, help="由 tidu serve 传入：该进程退出时调度器随之退出")
    ] = None,
) -> None:
    """Run the job scheduler (one leader among all running schedulers; Ctrl-C stops)."""
    if parent_pid is not None:
        die_with_parent(parent_pid)  # `tidu serve` killed outright must not leave an orphan leading
    settings = get_settings()
    configure_logging(settings.log_format)

    async def main(url: str) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_scheduler(settings, url, stop)

    try:
        with database_url(settings) as url:
            console.print(f"tidu 调度器已启动（时区 {settings.timezone}，收件箱 {settings.inbox_dir}）")
            asyncio.run(main(url))
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from exc


@jobs_app.command("run")
def run_now(job: Annotated[str, typer.Argument(help="任务：" + "、".join(tasks.JOB_LABELS))]) -> None:
    """Run a job once now (recorded like a scheduled run)."""
    if job not in tasks.WORK:
        raise fail(f"没有名为“{job}”的任务：可选 {'、'.join(tasks.JOB_LABELS)}", code=2)
    settings = get_settings()

    async def main(url: str) -> int | None:
        engine = make_engine(url, settings, role="job")
        try:
            context = JobContext(make_session_factory(engine), settings)
            return await run_claimed(context, job, clock.utc_now(), tasks.WORK[job])
        finally:
            await dispose_engine(engine)

    with database_url(settings) as url:
        run_id = asyncio.run(main(url))
    console.print(f"任务“{tasks.JOB_LABELS[job]}”已运行：运行记录 #{run_id}")


@jobs_app.command("list")
def list_runs(
    job: Annotated[str | None, typer.Option(help="只看某个任务")] = None,
    idle: Annotated[bool, typer.Option("--idle", help="包括无事可做的运行")] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
) -> None:
    """The latest job runs."""

    async def work(session: AsyncSession) -> list[JobRunRead]:
        runs, _ = await job_service.list_runs(
            session, operator(), job_id=job, offset=0, limit=limit, idle=idle
        )
        return [JobRunRead.of(r) for r in runs]

    zone = ZoneInfo(get_settings().timezone)
    table = Table(title="后台任务运行记录")
    for column in ("#", "任务", "计划时间", "状态", "结果", "进程"):
        table.add_column(column)
    for run in in_transaction(work):
        result = run.error or "，".join(f"{k} {v}" for k, v in run.counts.items())
        table.add_row(str(run.id), run.label, run.fire_time.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), run.status_label, result,
                      run.worker)  # fmt: skip
    console.print(table)
