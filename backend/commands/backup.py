"""`tidu db backup FILE` and `tidu db restore FILE` (backend/core/backup.py does the work)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backend.commands.common import console, fail
from backend.core import backup as backups
from backend.core.config import get_settings
from backend.core.db import database_url
from backend.core.embedded_pg import EmbeddedPostgresError, wheel_install_dir


def _wheel_bin() -> Path | None:
    try:
        return wheel_install_dir() / "bin"
    except EmbeddedPostgresError:
        return None


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def backup(
    file: Annotated[Path, typer.Argument(help="备份文件（pg_dump 自定义格式）")],
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
) -> None:
    """Back up the whole database to FILE (pg_dump custom format; the embedded one too)."""
    settings = get_settings()
    try:
        with database_url(settings) as url:
            result = backups.backup(url, file, wheel_bin=_wheel_bin(), overwrite=force)
    except (backups.BackupError, EmbeddedPostgresError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"已备份到 {result.file}（{_size(result.size)}；数据库 PostgreSQL {result.server_major}，"
        f"pg_dump {result.pg_dump.version}）"
    )


def restore(
    file: Annotated[Path, typer.Argument(help="tidu db backup 生成的备份文件")],
    force: Annotated[
        bool, typer.Option("--force", help="目标数据库已有数据时，用备份整体替换（不可撤销）")
    ] = False,
) -> None:
    """Restore FILE into the database in use: an empty one, or with --force replace what is there.

    Stop `tidu serve` first: a restore with --force waits for every open connection's locks.
    """
    settings = get_settings()
    try:
        with database_url(settings) as url:
            result = backups.restore(url, file, wheel_bin=_wheel_bin(), force=force)
    except (backups.BackupError, EmbeddedPostgresError) as exc:
        raise fail(str(exc)) from exc
    action = "已用备份替换原有数据" if result.replaced else "已恢复到空数据库"
    console.print(f"{action}：{file}（备份来自 PostgreSQL {result.archive.dumped_from}）")
    console.print("如备份来自较早版本的 tidu，请接着运行 tidu db upgrade")
