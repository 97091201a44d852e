"""`tidu scheduler`: APScheduler 3 in its own process, one leader among however many run.

Leadership is a session-level advisory lock held on a dedicated connection: only its holder
schedules; when it dies its connection closes, the lock is released and another process takes
over within ``LEADER_RETRY_SECONDS``. Each fire is also claimed by a job_run row unique on
(job, fire time), so even two leaders overlapping during a handover run a fire once.

The job store is PostgreSQL (SQLAlchemyJobStore, table apscheduler_jobs made by a migration).
APScheduler 3 calls its job store synchronously on the event loop: a few indexed queries per
wake-up, the one blocking call tidu accepts there, because the library offers no async store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from zoneinfo import ZoneInfo

import asyncpg
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from backend.core import metrics
from backend.core.config import Settings, libpq_url
from backend.core.db import dispose_engine, make_engine, make_session_factory, transaction
from backend.jobs import tasks
from backend.jobs.inbox import prepare_inboxes
from backend.jobs.repository import JobRepository
from backend.jobs.runner import JobContext

logger = logging.getLogger(__name__)
LEADER_LOCK = 0x7469_6475_0002  # pg_advisory_lock key of the scheduling leader ("tidu" 2)
LEADER_RETRY_SECONDS = 5.0
HEARTBEAT_SECONDS = 5.0
JOBSTORE_TABLE = "apscheduler_jobs"


def psycopg_url(url: str) -> str:
    """The job store's synchronous driver on the same database."""
    return "postgresql+psycopg://" + libpq_url(url)[len("postgresql://") :]


def build_scheduler(settings: Settings, url: str) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=psycopg_url(url), tablename=JOBSTORE_TABLE,
                                                 engine_options={"pool_pre_ping": True})},
        executors={"default": AsyncIOExecutor()},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(settings.timezone),
    )  # fmt: skip
    for spec in tasks.job_specs(settings):
        scheduler.add_job(spec.func, spec.trigger, id=spec.id, name=tasks.JOB_LABELS[spec.id], replace_existing=True,
                          misfire_grace_time=spec.misfire_grace_seconds)  # fmt: skip
    return scheduler


async def run_scheduler(settings: Settings, url: str, stop: asyncio.Event) -> None:
    """Until ``stop``: wait to lead, then schedule while the leader lock holds."""
    engine = make_engine(url, settings, role="scheduler")
    metrics.instrument_pool(engine, "scheduler")
    context = JobContext(make_session_factory(engine), settings)
    tasks.bind(context)
    try:
        while not stop.is_set():
            try:
                # Bounded like every engine's connections: on a database that stopped answering,
                # the connect or the heartbeat fails (TimeoutError is an OSError) instead of hanging,
                # and leadership is retried rather than held by a scheduler that can do nothing.
                lock = await asyncpg.connect(
                    libpq_url(url),
                    server_settings={"application_name": "tidu-scheduler-leader"},
                    timeout=settings.db_connect_timeout_seconds,
                    command_timeout=settings.db_connect_timeout_seconds,
                )
            except (OSError, asyncpg.PostgresError) as exc:
                logger.warning("scheduler: database unavailable (%s); retrying", exc)
                await _sleep(stop, LEADER_RETRY_SECONDS)
                continue
            try:
                if await lock.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK):
                    await _lead(context, url, lock, stop)
                else:
                    await _sleep(stop, LEADER_RETRY_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await lock.close()
    finally:
        await dispose_engine(engine)


async def _lead(context: JobContext, url: str, lock: asyncpg.Connection, stop: asyncio.Event) -> None:
    async with transaction(context.factory) as session:
        interrupted = await JobRepository(session).interrupt_running()
    logger.info("scheduler %s leads (%d interrupted runs marked)", context.worker, interrupted)
    await prepare_inboxes(context)
    scheduler = build_scheduler(context.settings, url)
    scheduler.start()
    try:
        while not stop.is_set():
            await _sleep(stop, HEARTBEAT_SECONDS)
            await lock.fetchval("SELECT 1")  # the lock lives as long as this connection
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        logger.warning("scheduler %s lost its leader connection (%s)", context.worker, exc)
    finally:
        scheduler.shutdown(wait=False)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
