"""Running one fire of a job: claim it (once across every scheduler process), do it, record how it went."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from backend.core import metrics
from backend.core.config import Settings
from backend.core.db import SessionFactory, transaction
from backend.jobs.repository import JobRepository

logger = logging.getLogger(__name__)
IDLE_KEPT = timedelta(days=7)
Work = Callable[["JobContext"], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class JobContext:
    """What a job needs at run time; the scheduler process has one."""

    factory: SessionFactory
    settings: Settings
    worker: str = f"{socket.gethostname()}:{os.getpid()}"


def latest_fire_time(trigger: BaseTrigger, now: datetime) -> datetime:
    """The fire time a run started at ``now`` belongs to: the same value in every scheduler process."""
    if isinstance(trigger, IntervalTrigger):
        elapsed = (now - trigger.start_date) // trigger.interval
        fire: datetime = trigger.start_date + elapsed * trigger.interval
        return fire
    latest = None
    candidate = trigger.get_next_fire_time(None, now - timedelta(days=2))
    while candidate is not None and candidate <= now:
        latest = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(microseconds=1))
    return latest or now.replace(microsecond=0)


async def run_claimed(context: JobContext, job_id: str, fire_time: datetime, work: Work) -> int | None:
    """Run ``work`` unless another process has claimed (job, fire time); the job_run id, or None."""
    async with transaction(context.factory) as session:
        run_id = await JobRepository(session).claim(job_id, fire_time, context.worker)
    if run_id is None:
        logger.info("job %s at %s already claimed elsewhere", job_id, fire_time)
        return None
    started = time.perf_counter()
    try:
        counts, error = await work(context), None
        # A run that found nothing to do (an empty inbox) is idle: kept a week, hidden by default.
        status = "succeeded" if any(counts.values()) else "idle"
    except Exception as exc:  # a job failing is recorded, never lost; the next fire tries again
        logger.exception("job %s failed", job_id)
        counts, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"[:2000]
    async with transaction(context.factory) as session:
        repo = JobRepository(session)
        await repo.finish(run_id, status, counts, error)
        await repo.prune_idle(job_id, before=fire_time - IDLE_KEPT)
    metrics.observe_job(job_id, status, time.perf_counter() - started)
    logger.info("job %s %s", job_id, status, extra={"job": job_id, "outcome": status})
    return run_id
