"""Health and size of the registry."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.system.repository import RegistryRepository


async def counts(session: AsyncSession) -> dict[str, int]:
    return await RegistryRepository(session).counts()


async def is_empty(session: AsyncSession) -> bool:
    return (await counts(session))["firms"] == 0


async def server_version(session: AsyncSession) -> str:
    return await RegistryRepository(session).server_version()


async def database_ok(session: AsyncSession) -> bool:
    return await RegistryRepository(session).ping()
