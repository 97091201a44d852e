"""Where the tests' PostgreSQL comes from, and helpers to make and drop databases."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from backend.core.config import asyncpg_url
from backend.core.embedded_pg import EmbeddedPostgres


def server_url() -> str | None:
    """The server named by TEST_DATABASE_URL or DATABASE_URL; None means use the embedded one."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    return asyncpg_url(url) if url else None


def embedded_for_tests() -> EmbeddedPostgres:
    # One data directory for every xdist worker: the embedded server is shared, not one per worker.
    root = Path(os.environ.get("TIDU_TEST_DATA_DIR", f"/tmp/tidu-test-{os.getuid()}"))
    return EmbeddedPostgres.for_data_dir(root)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def _maintenance_connection(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    host = parsed.query.get("host") or parsed.host
    return await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        database="postgres",
        host=host if isinstance(host, str) else None,
        port=parsed.port,
    )


async def recreate(url: str, name: str, *, drop_only: bool = False) -> None:
    """Drop ``name`` on the server of ``url`` and, unless ``drop_only``, create it empty (inside a loop)."""
    conn = await _maintenance_connection(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def recreate_database(url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``url``; return its URL."""
    asyncio.run(recreate(url, name))
    return with_database(url, name)


async def _copy(url: str, source: str, name: str) -> None:
    conn = await _maintenance_connection(url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        await conn.close()


def copy_database(url: str, source: str, name: str) -> str:
    """``name`` as a copy of ``source`` (which nobody may be connected to); return its URL."""
    asyncio.run(_copy(url, source, name))
    return with_database(url, name)


def drop_database(url: str, name: str) -> None:
    asyncio.run(recreate(url, name, drop_only=True))


def _main(argv: list[str]) -> int:
    """``python -m tests.support fresh-database NAME`` prints its URL; ``drop-database NAME``."""
    url = server_url()
    if url is None or len(argv) != 2 or argv[0] not in ("fresh-database", "drop-database"):
        print("usage (DATABASE_URL set): python -m tests.support fresh-database|drop-database NAME")  # noqa: T201
        return 2
    if argv[0] == "fresh-database":
        print(recreate_database(url, argv[1]))  # noqa: T201
    else:
        drop_database(url, argv[1])
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
