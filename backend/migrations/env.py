"""Alembic environment: async engine on asyncpg, URL from the config or tidu's settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import backend.models  # noqa: F401  (registers every table on the metadata)
from backend.core.config import get_settings
from backend.core.db import database_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata
# Tables other libraries own (their layout is theirs): created by a migration, never compared.
FOREIGN_TABLES = {"apscheduler_jobs"}


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, compare_type=True, include_name=_include_name
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_migrations_online() -> None:
    # A caller that already holds a connection (tests, `tidu db upgrade`) passes it in.
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url:
        asyncio.run(_run(url))
        return
    with database_url(get_settings()) as settings_url:
        asyncio.run(_run(settings_url))


if context.is_offline_mode():
    raise SystemExit("tidu migrations run online only: set DATABASE_URL or let tidu start its database")
run_migrations_online()
