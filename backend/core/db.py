"""Engine and session factories, the one transaction boundary, and the database in use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.core.embedded_pg import EmbeddedPostgres

SessionFactory = async_sessionmaker[AsyncSession]


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
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": f"tidu-{role}"}},
    )


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


async def get_session_factory(request: Request) -> SessionFactory:
    factory: SessionFactory = request.state.session_factory  # put there by the lifespan
    return factory


async def _request_session(
    factory: Annotated[SessionFactory, Depends(get_session_factory)],
) -> AsyncIterator[AsyncSession]:
    async with transaction(factory) as session:
        yield session


# scope="function": the commit runs before the response is sent, so a failed commit
# becomes an error response instead of a 200 for a change that was never stored.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
