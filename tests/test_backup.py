"""`tidu db backup` / `tidu db restore`: what an operator relies on when a disk dies."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from backend.core import backup as backups
from backend.core.config import libpq_url
from backend.core.embedded_pg import EmbeddedPostgres
from tests.support import drop_database, recreate_database
from tests.test_cli import CJK, Target, clean_env, counts, flat, force_stop, short_dir, succeeded, tidu

ROWS = {
    "firms": "SELECT uscc, name, district_code FROM firm ORDER BY uscc LIMIT 5",
    "users": 'SELECT username, role, display_name FROM "user" ORDER BY username',
    "revision": "SELECT version_num FROM alembic_version",
}


def sample_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    async def read() -> dict[str, list[tuple[Any, ...]]]:
        connection = await asyncpg.connect(libpq_url(url))
        try:
            return {key: [tuple(row) for row in await connection.fetch(sql)] for key, sql in ROWS.items()}
        finally:
            await connection.close()

    return asyncio.run(read())


def external(url: str, workdir: Path) -> Target:
    return Target(env={**clean_env(), "DATABASE_URL": url}, workdir=workdir, database_url=url, data_dir=None)


@pytest.fixture
def source(scratch_database: str, tmp_path: Path) -> Target:
    """A registry with data in it: the one being backed up."""
    target = external(scratch_database, tmp_path)
    succeeded(tidu(target, "demo", "--firms", "30", "--seed", "11"))
    return target


@pytest.fixture
def empty_database(postgres_server: str, worker_name: str, tmp_path: Path) -> Iterator[Target]:
    """A database just made with createdb: no tables at all."""
    name = f"tidu_restore_{worker_name}"
    url = recreate_database(postgres_server, name)
    try:
        yield external(url, tmp_path)
    finally:
        drop_database(postgres_server, name)


def test_backup_restores_into_an_empty_database_with_the_same_data(
    source: Target, empty_database: Target, tmp_path: Path
) -> None:
    file = tmp_path / "tidu.dump"
    made = succeeded(tidu(source, "db", "backup", str(file)))
    assert CJK.search(made.stdout)
    assert file.stat().st_size > 0
    assert file.stat().st_mode & 0o077 == 0, "a backup holds password hashes: owner only"

    restored = succeeded(tidu(empty_database, "db", "restore", str(file)))
    assert CJK.search(restored.stdout)

    assert counts(empty_database) == counts(source)
    assert counts(empty_database)["firms"] == 30
    assert source.database_url is not None
    assert empty_database.database_url is not None
    assert sample_rows(empty_database.database_url) == sample_rows(source.database_url)


def test_restore_refuses_a_database_with_data_unless_forced(
    source: Target, empty_database: Target, tmp_path: Path
) -> None:
    file = tmp_path / "tidu.dump"
    succeeded(tidu(source, "db", "backup", str(file)))
    again = tidu(source, "db", "backup", str(file))
    assert again.returncode != 0, "a backup never overwrites silently"
    assert "--force" in again.stderr

    succeeded(tidu(empty_database, "db", "restore", str(file)))
    succeeded(
        tidu(empty_database, "user", "create", "late.user", "--role", "city", "--password", "secret-pass-1")
    )
    changed = counts(empty_database)

    refused = tidu(empty_database, "db", "restore", str(file))
    assert refused.returncode != 0
    assert "空" in flat(refused.stderr), refused.stderr
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert counts(empty_database) == changed  # untouched

    succeeded(tidu(empty_database, "db", "restore", str(file), "--force"))
    assert counts(empty_database) == counts(source)  # the later user is gone with the rest


def test_restore_of_something_else_is_refused_in_chinese(empty_database: Target, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.dump"
    bogus.write_text("not a backup", encoding="utf-8")
    refused = tidu(empty_database, "db", "restore", str(bogus))
    assert refused.returncode != 0
    assert "不是" in flat(refused.stderr)
    assert "Traceback" not in refused.stderr


def embedded_target(prefix: str) -> Target:
    data_dir = short_dir(prefix)
    env = {**clean_env(), "TIDU_DATA_DIR": str(data_dir)}
    return Target(env=env, workdir=data_dir, database_url=None, data_dir=data_dir)


def test_embedded_database_backs_up_and_restores_too(tmp_path: Path) -> None:
    """tidu's own PostgreSQL 18 (no DATABASE_URL), with the wheel's pg_dump: into a new data directory."""
    first, second = embedded_target("tidu-backup-emb-"), embedded_target("tidu-restore-emb-")
    try:
        succeeded(tidu(first, "db", "upgrade"))
        succeeded(tidu(first, "demo", "--firms", "20", "--seed", "5"))
        file = tmp_path / "embedded.dump"
        succeeded(tidu(first, "db", "backup", str(file)))
        succeeded(tidu(second, "db", "restore", str(file)))
        assert counts(second) == counts(first)
        assert counts(second)["firms"] == 20

        # Only an older pg_dump at hand (no wheel): refused, saying which versions clash.
        system = backups.candidates("pg_dump", wheel_bin=None)
        if not system or system[0].major >= 18:
            pytest.skip("needs a pg_dump older than PostgreSQL 18 on PATH")
        assert second.data_dir is not None
        server = EmbeddedPostgres.for_data_dir(second.data_dir)
        with server.running() as url, pytest.raises(backups.BackupError) as refused:
            backups.backup(url, tmp_path / "old.dump", wheel_bin=None)
        message = str(refused.value)
        assert system[0].version in message
        assert "18" in message
        assert CJK.search(message)
        assert not (tmp_path / "old.dump").exists()
    finally:
        for target in (first, second):
            assert target.data_dir is not None
            force_stop(target.data_dir / "postgres" / "cluster")
            shutil.rmtree(target.data_dir, ignore_errors=True)
