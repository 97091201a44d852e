"""`tidu awards compute` against a database of its own (the command commits for real)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from backend.cli import app
from backend.core.config import get_settings
from tests.backend.awards.support import CITY_FIRST, YEAR, decide, sql
from tests.factories.firms import make_firm


async def seed(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            for amount in (100_000, 0):
                await decide(session, await make_firm(session), CITY_FIRST, amount_yuan=amount)
            await decide(session, await make_firm(session), CITY_FIRST, outcome="unknown")
            await session.commit()
    finally:
        await engine.dispose()


async def stored(url: str) -> list[tuple[int, str]]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with AsyncSession(engine) as session:
            rows = await sql(session, "SELECT amount_yuan, state FROM award ORDER BY id")
            return [(r._mapping["amount_yuan"], r._mapping["state"]) for r in rows]
    finally:
        await engine.dispose()


def test_awards_compute_creates_once_and_reports_counts(
    scratch_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(seed(scratch_database))
    monkeypatch.setenv("DATABASE_URL", scratch_database)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(
            app, ["awards", "compute", "--year", str(YEAR), "--program", CITY_FIRST, "--json"]
        )
        assert first.exit_code == 0, first.output
        assert json.loads(first.output) | {"conflicts": []} == {
            "year": YEAR, "programs": [CITY_FIRST], "created": 1, "unchanged": 0, "corrected": 0, "excluded": 0,
            "once_per_firm_skipped": 0, "conflicts": [],
        }  # fmt: skip
        again = runner.invoke(app, ["awards", "compute", "--year", str(YEAR)])
        assert again.exit_code == 0, again.output
        assert "年度奖励计算" in again.output
        assert "未变化" in again.output
        refused = runner.invoke(app, ["awards", "compute", "--year", str(YEAR), "--program", "seedling"])
        assert refused.exit_code == 1
        assert "「seedling」不是奖励项目" in refused.output
    finally:
        get_settings.cache_clear()
    assert asyncio.run(stored(scratch_database)) == [(100_000, "computed")]
