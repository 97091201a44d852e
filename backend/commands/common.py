"""What every command shares: consoles, failing with a Chinese message, one transaction."""

from __future__ import annotations

import asyncio
import os
import pwd
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import get_settings
from backend.core.db import database_url, dispose_engine, make_engine, make_session_factory, transaction
from backend.core.embedded_pg import EmbeddedPostgresError
from backend.core.errors import AppError
from backend.core.security import Actor
from rules.errors import RuleError

T = TypeVar("T")
console = Console()
errors = Console(stderr=True)


def operator() -> Actor:
    """The person running the command on the server, audited by OS account."""
    return Actor.command_line(pwd.getpwuid(os.geteuid()).pw_name)


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]错误：[/red]{message}")
    return typer.Exit(code)


def in_transaction(work: Callable[[AsyncSession], Awaitable[T]], *, role: str = "cli") -> T:
    """Run ``work`` in one transaction against DATABASE_URL or the embedded server."""
    settings = get_settings()

    async def run(url: str) -> T:
        engine = make_engine(url, settings, role=role)
        try:
            async with transaction(make_session_factory(engine)) as session:
                return await work(session)
        finally:
            await dispose_engine(engine)

    try:
        with database_url(settings) as url:
            return asyncio.run(run(url))
    except AppError as exc:
        raise fail(exc.detail) from exc
    except (EmbeddedPostgresError, RuleError) as exc:
        raise fail(str(exc)) from exc
