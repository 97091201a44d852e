"""`tidu tiers …` in-process (typer's CliRunner) against a migrated database of its own: the commands
commit for real, as they do on the server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.ext.asyncio.session import AsyncSession
from typer.testing import CliRunner

from backend.cli import app
from backend.core import clock
from backend.core.config import get_settings
from backend.core.db import make_session_factory, transaction
from backend.models import Firm
from backend.tiers import service as tier_service
from backend.tiers.schemas import CityReviewRequest, ReviewRequest
from tests.backend.tiers.support import YEAR, status_ids
from tests.factories.firms import OPERATOR, make_firm
from tests.factories.tiers import make_decision

T = TypeVar("T")


@pytest.fixture
def database(scratch_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", scratch_database)
    get_settings.cache_clear()
    yield scratch_database
    get_settings.cache_clear()


def in_database(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with transaction(make_session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def tidu(*args: str) -> Any:
    result = CliRunner().invoke(app, ["tiers", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_batch_steps_and_the_review_from_the_command_line(database: str) -> None:
    async def firms(session: AsyncSession) -> list[Firm]:
        made = [await make_firm(session, "jinghai"), await make_firm(session, "heping")]
        for firm in made:
            await make_decision(session, firm, "gazelle", YEAR, "eligible")
        return made

    jinghai, heping = in_database(database, firms)
    batch = tidu("batch-create", "--year", str(YEAR))
    assert batch["label"] == f"{YEAR}年第1批"
    assert tidu("nominate", str(batch["id"]))["created"]["gazelle"] == 2
    assert tidu("nominate", str(batch["id"]))["created"]["gazelle"] == 0

    async def reviews(session: AsyncSession) -> None:
        ids = await status_ids(session, jinghai, heping, tier="gazelle")
        await tier_service.district_review(
            session, OPERATOR, ReviewRequest(status_ids=ids, decision="approve")
        )
        await tier_service.city_review(
            session, OPERATOR, CityReviewRequest(status_ids=ids, decision="approve")
        )

    in_database(database, reviews)
    start, end = clock.today() - timedelta(days=9), clock.today() - timedelta(days=2)
    notice = tidu("notice", str(batch["id"]), "--from", start.isoformat(), "--to", end.isoformat())
    assert len(notice["in_notice"]) == 2
    admitted = tidu("admit", str(batch["id"]))
    assert [(s["uscc"], s["admission_no"]) for s in admitted["admitted"]] == [
        (heping.uscc, f"TJ-DL-{YEAR}-01-0001"),
        (jinghai.uscc, f"TJ-DL-{YEAR}-01-0002"),
    ]
    review = tidu("review", "--year", str(YEAR + 1))
    assert [i["note"] for i in review["incomplete"]] == ["资料不全，待补充"] * 2

    refused = CliRunner().invoke(app, ["tiers", "admit", str(batch["id"])])
    assert refused.exit_code == 1
    assert "当前为“已公告入库”，不能变更为“已公告入库”" in refused.output
