"""Real PostgreSQL for every test: a database per xdist worker, migrated once, rolled back per test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.cli import upgrade_database
from backend.core.config import Settings
from backend.core.db import SessionFactory, get_session_factory
from backend.main import create_app
from tests.support import drop_database, embedded_for_tests, recreate_database, server_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running in the main thread
    from its first use, and the async tests need that thread's loop free. (`make test` runs the
    two groups in separate pytest processes; this keeps a plain `pytest` run working too.)"""
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of the server the tests use (any database on it)."""
    url = server_url()
    if url is not None:
        yield url
        return
    with embedded_for_tests().running() as embedded_url:
        yield embedded_url


@pytest.fixture(scope="session")
def worker_name(request: pytest.FixtureRequest) -> str:
    """Names this worker's databases; TIDU_TEST_DB_TAG keeps two checkouts' runs on one server apart."""
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    tag = os.environ.get("TIDU_TEST_DB_TAG", "")
    return f"{worker}_{tag}" if tag else str(worker)


@pytest.fixture(scope="session")
def database_url(postgres_server: str, worker_name: str) -> str:
    """A fresh database for this worker with every migration applied (never create_all)."""
    url = recreate_database(postgres_server, f"tidu_test_{worker_name}")
    asyncio.run(upgrade_database(url, Settings(database_url=url)))
    return url


@pytest.fixture
def scratch_database(postgres_server: str, worker_name: str) -> Iterator[str]:
    """A migrated database of its own, for tests whose subprocesses commit for real; dropped after."""
    name = f"tidu_scratch_{worker_name}_{uuid.uuid4().hex[:8]}"
    url = recreate_database(postgres_server, name)
    asyncio.run(upgrade_database(url, Settings(database_url=url)))
    yield url
    drop_database(postgres_server, name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, poolclass=NullPool)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[SessionFactory]:
    """A session factory inside one outer transaction that is rolled back after the test.

    Application code commits freely: each commit only releases a SAVEPOINT.
    """
    async with engine.connect() as connection:
        outer = await connection.begin()
        yield async_sessionmaker(
            bind=connection,
            class_=AsyncSession,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        await outer.rollback()


@pytest.fixture
async def session(db: SessionFactory) -> AsyncIterator[AsyncSession]:
    async with db() as s:
        yield s


@pytest.fixture
async def client(db: SessionFactory, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=database_url))

    async def test_factory() -> SessionFactory:
        return db

    app.dependency_overrides[get_session_factory] = test_factory
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidu.test") as c:
        yield c
