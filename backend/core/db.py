"""Engine and session factories, the one transaction boundary, and the database in use.

When PostgreSQL goes away or the process runs out of connections, requests fail fast and
cleanly instead of hanging or answering 500:

* every engine bounds connecting and every statement (per role: web requests get a short
  limit, the command line and scheduler a long one), so nothing waits forever on a dead server;
* a connection that failed at the network level is invalidated, together with every pooled
  connection older than it, so once the server is back the next request gets a fresh one;
* :func:`unavailability` is the one place that tells those failures from real bugs: the
  request session turns them into 503 answers (``ServiceUnavailable``) with Retry-After;
* :class:`AdmissionGate` caps the requests of one API process that use the database at once;
  past it a request waits briefly for a slot, then gets 503 instead of queueing for the pool.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.core.embedded_pg import EmbeddedPostgres
from backend.core.errors import (
    AppError,
    DatabaseTimeout,
    DatabaseUnavailable,
    ServerBusy,
    ServiceUnavailable,
)

SessionFactory = async_sessionmaker[AsyncSession]
log = logging.getLogger("tidu.db")

WEB_ROLE = "api"  # the API processes' request engine
HEALTH_ROLE = "health"  # their small separate engine for /api/health
# The client gives up this long after the server's own statement_timeout would have fired:
# normally PostgreSQL cancels the statement itself and the connection stays usable; the client
# side limit only ends waits on a server that no longer answers at all.
CLIENT_GRACE_SECONDS = 5.0
# Closing connections at shutdown: a dead server never acknowledges the goodbye.
DISPOSE_TIMEOUT_SECONDS = 5.0
# SQLSTATEs of a server going away or not taking connections: admin_shutdown, crash_shutdown,
# cannot_connect_now (starting up, recovering), too_many_connections. Class 08 is the connection.
_SERVER_GONE = frozenset({"57P01", "57P02", "57P03", "53300"})
_QUERY_CANCELED = "57014"  # statement_timeout, or a cancel after the client stopped waiting


class DatabaseUnreachable(ConnectionError):
    """Opening a connection to PostgreSQL failed (refused, timed out, no socket, server not ready)."""


@contextmanager
def database_url(settings: Settings, *, keep_running: bool = False) -> Iterator[str]:
    """Yield the asyncpg URL of DATABASE_URL, or of the embedded server started for the block."""
    if settings.database_url:
        yield settings.database_url
        return
    server = EmbeddedPostgres.for_data_dir(settings.data_dir, settings.pg_user)
    with server.running(keep_running=keep_running) as url:
        yield url


def make_engine(url: str, settings: Settings, *, role: str) -> AsyncEngine:
    """An engine for one role of process: ``api`` and ``health`` serve web requests; every other
    role (``cli``, ``job``, ``scheduler``, ``migrate``) runs long jobs with long statement limits."""
    server_settings = {"application_name": f"tidu-{role}"}
    connect_args: dict[str, Any] = {
        "server_settings": server_settings,
        "timeout": settings.db_connect_timeout_seconds,
    }
    pool: dict[str, Any] = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    if role == HEALTH_ROLE:
        # SELECT 1 and version(): if those take longer than a connect may, the database is down.
        connect_args["command_timeout"] = settings.db_connect_timeout_seconds
        pool = {"pool_size": 1, "max_overflow": 1, "pool_timeout": settings.db_connect_timeout_seconds}
    else:
        web = role == WEB_ROLE
        limit = settings.db_statement_timeout_seconds if web else settings.db_job_statement_timeout_seconds
        if limit:
            server_settings["statement_timeout"] = str(round(limit * 1000))  # milliseconds
            connect_args["command_timeout"] = limit + CLIENT_GRACE_SECONDS
        if web:
            # The admission gate normally keeps requests from queueing here at all; a short wait
            # (answered 503) beats holding a request for SQLAlchemy's default 30 s.
            pool["pool_timeout"] = settings.db_queue_wait_seconds
    engine = create_async_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)
    _watch_connections(engine.sync_engine)
    return engine


def _watch_connections(engine: Engine) -> None:
    @event.listens_for(engine, "do_connect")
    def connect(dialect: Dialect, _record: object, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        # Whatever stops a connection from opening means the same to a caller: the database is
        # not available. Raw, these are OSErrors and TimeoutErrors indistinguishable from others.
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            raise DatabaseUnreachable(f"{type(exc).__name__}: {exc}") from exc

    @event.listens_for(engine, "handle_error")
    def classify(context: ExceptionContext) -> None:
        # asyncpg leaves a connection whose command timed out open but unusable (a cancel is
        # pending on a server that may be gone): drop it, and every pooled connection older than
        # it, instead of sending ROLLBACK down it or pinging each one for a full timeout.
        if not context.is_disconnect and _connection_lost(context.original_exception):
            context.is_disconnect = True


def _connection_lost(exc: BaseException) -> bool:
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(exc, TimeoutError) or (
        isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _SERVER_GONE)
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps or was raised from, nearest first."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend(
            [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]
        )


def unavailability(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 that ``exc`` amounts to if it means "the database is unavailable or saturated",
    else None (a bug or a constraint violation, handled elsewhere)."""
    for cause in _causes(exc):
        if isinstance(cause, sa_exc.TimeoutError):  # no pooled connection came free in time
            return ServerBusy()
        if isinstance(cause, DatabaseUnreachable | TimeoutError):
            return DatabaseUnavailable()
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return DatabaseUnavailable()
        if getattr(cause, "sqlstate", None) == _QUERY_CANCELED:
            return DatabaseTimeout()
        if _connection_lost(cause):
            return DatabaseUnavailable()
    return None


async def dispose_engine(engine: AsyncEngine) -> None:
    """Close the engine's connections, giving up after DISPOSE_TIMEOUT_SECONDS: a server that
    went away never answers the goodbye, and shutdown must not wait on it."""
    try:
        async with asyncio.timeout(DISPOSE_TIMEOUT_SECONDS):
            await engine.dispose()
    except TimeoutError:
        log.warning(
            "database connections did not close within %.0f s; abandoning them", DISPOSE_TIMEOUT_SECONDS
        )
        await engine.dispose(close=False)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """Yield a session; commit if the block finishes, roll back if it raises."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


class AdmissionGate:
    """At most ``slots`` requests of this process use the database at once.

    One more waits up to ``wait_seconds`` for a slot and is then answered 503 (ServerBusy): past
    capacity, queueing longer only makes every client wait and then fail, and keeps the backlog
    of clients that already gave up running after them.
    """

    def __init__(self, slots: int, wait_seconds: float) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._free = asyncio.Semaphore(slots)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._free.acquire()
        except TimeoutError:
            raise ServerBusy() from None
        try:
            yield
        finally:
            self._free.release()


async def get_session_factory(request: Request) -> SessionFactory:
    factory: SessionFactory = request.state.session_factory  # put there by the lifespan
    return factory


async def get_health_factory(
    request: Request, fallback: Annotated[SessionFactory, Depends(get_session_factory)]
) -> SessionFactory:
    """The health check's own small pool (put there by the lifespan), so that it answers even when
    every request connection is busy; the request factory where there is none (tests)."""
    factory: SessionFactory | None = getattr(request.state, "health_factory", None)
    return factory or fallback


async def _request_session(
    request: Request, factory: Annotated[SessionFactory, Depends(get_session_factory)]
) -> AsyncIterator[AsyncSession]:
    gate: AdmissionGate = request.app.state.db_gate
    async with gate.slot():
        try:
            async with transaction(factory) as session:
                yield session
        except AppError:
            raise
        except Exception as exc:
            failure = unavailability(exc)
            if failure is None:
                raise
            log.warning("%s %s: %s (%s)", request.method, request.url.path, failure.code, _describe(exc))
            raise failure from exc


def _describe(exc: BaseException) -> str:
    return "; ".join(f"{type(cause).__name__}: {cause}"[:200] for cause in _causes(exc))


# scope="function": the commit runs before the response is sent, so a failed commit
# becomes an error response instead of a 200 for a change that was never stored.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
