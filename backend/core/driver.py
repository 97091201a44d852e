"""The asyncpg connection under a session's transaction, for COPY and bulk reads in repositories."""

from __future__ import annotations

import asyncpg
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session's transaction (bulk reads and COPY).

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; one is run here
    so that COPY and everything else below happen inside the request's or command's transaction.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    if not driver.is_in_transaction():
        await connection.execute(text("SELECT 1"))
    if not driver.is_in_transaction():
        raise RuntimeError("bulk database work must run inside a transaction")
    return driver
