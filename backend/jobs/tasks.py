"""The scheduled jobs, by id. The job store keeps references to these functions ("module:name"),
so they take no arguments: the scheduler process binds its context once at start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from backend.core import clock
from backend.core.config import Settings
from backend.core.db import transaction
from backend.core.security import Actor
from backend.evaluations import service as evaluation_service
from backend.jobs import exports as export_jobs
from backend.jobs.inbox import import_inboxes
from backend.jobs.runner import JobContext, Work, latest_fire_time, run_claimed

# Interval triggers start here (wall clock, placed in the configured zone): every process agrees on fire times.
EPOCH = datetime(2026, 1, 1)  # noqa: DTZ001 - given its zone where it is used
JOB_LABELS = {  # Chinese, for the job runs page
    "inbox": "收件箱导入",
    "nightly_evaluation": "夜间重新评价",
    "scheduled_exports": "定时导出清单",
    "certificate_reminders": "证书到期与年报提醒",
}


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function" reference kept in the job store
    trigger: BaseTrigger
    misfire_grace_seconds: int


def job_specs(settings: Settings) -> list[JobSpec]:
    zone = ZoneInfo(settings.timezone)
    return [
        JobSpec("inbox", "backend.jobs.tasks:inbox",
                IntervalTrigger(seconds=settings.inbox_poll_seconds, start_date=EPOCH.replace(tzinfo=zone),
                                timezone=zone), settings.inbox_poll_seconds),
        JobSpec("nightly_evaluation", "backend.jobs.tasks:nightly_evaluation",
                CronTrigger(hour=2, minute=0, timezone=zone), 3600),
        # after the nightly re-evaluation, before office hours: outbox/<bureau>/ has fresh lists
        JobSpec("scheduled_exports", "backend.jobs.tasks:scheduled_exports",
                CronTrigger(hour=3, minute=0, timezone=zone), 3 * 3600),
        JobSpec("certificate_reminders", "backend.jobs.tasks:certificate_reminders",
                CronTrigger(hour=6, minute=30, timezone=zone), 3 * 3600),
    ]  # fmt: skip


_context: list[JobContext] = []


def bind(context: JobContext) -> None:
    """The scheduler process's context, for the job functions below."""
    _context[:] = [context]


def _bound() -> JobContext:
    if not _context:
        raise RuntimeError("jobs run inside `tidu scheduler` (or `tidu jobs run`), which binds their context")
    return _context[0]


async def run_job(job_id: str, work: Work, fire_time: datetime | None = None) -> int | None:
    context = _bound()
    if fire_time is None:
        spec = next(s for s in job_specs(context.settings) if s.id == job_id)
        fire_time = latest_fire_time(
            spec.trigger, clock.utc_now().astimezone(ZoneInfo(context.settings.timezone))
        )
    return await run_claimed(context, job_id, fire_time, work)


async def inbox() -> None:
    await run_job("inbox", import_inboxes)


async def _evaluate_current_year(context: JobContext) -> dict[str, Any]:
    """Re-evaluate this year's decisions: new filings, certificates and rule versions take effect overnight."""
    year = clock.utc_now().astimezone(ZoneInfo(context.settings.timezone)).year
    async with transaction(context.factory) as session:
        summary = await evaluation_service.evaluate_year(session, Actor.job("nightly_evaluation"), year=year)
    return {
        "year": year,
        "firms": summary.firms,
        "evaluated": summary.evaluated,
        "unchanged": summary.unchanged,
    }


async def nightly_evaluation() -> None:
    await run_job("nightly_evaluation", _evaluate_current_year)


async def scheduled_exports() -> None:
    await run_job("scheduled_exports", export_jobs.scheduled_exports)


async def certificate_reminders() -> None:
    await run_job("certificate_reminders", export_jobs.certificate_reminders)


WORK: dict[str, Work] = {
    "inbox": import_inboxes,
    "nightly_evaluation": _evaluate_current_year,
    "scheduled_exports": export_jobs.scheduled_exports,
    "certificate_reminders": export_jobs.certificate_reminders,
}
