"""Shared steps of the admission tests: eligible firms, API calls, and what "nothing changed" means."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.models import Firm, TierStatus
from tests.factories.firms import make_firm
from tests.factories.tiers import make_decision
from tests.factories.users import LoggedIn

YEAR = clock.today().year


def days_ago(n: int) -> str:
    return (clock.today() - timedelta(days=n)).isoformat()


async def eligible(
    session: AsyncSession, bureau: str = "jinghai", tier: str = "seedling", year: int = YEAR
) -> Firm:
    firm = await make_firm(session, bureau)
    await make_decision(session, firm, tier, year, "eligible")
    return firm


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def post(client: httpx.AsyncClient, user: LoggedIn, path: str, body: Any = None) -> httpx.Response:
    return await client.post(f"/api/tiers{path}", json=body, headers=user.headers)


async def new_batch(client: httpx.AsyncClient, city: LoggedIn, year: int = YEAR) -> dict[str, Any]:
    batch: dict[str, Any] = await ok(await post(client, city, "/batches", {"year": year}), 201)
    return batch


async def status_ids(
    session: AsyncSession, *firms: Firm, tier: str = "seedling", year: int = YEAR
) -> list[int]:
    """The record id of each firm for ``tier`` and ``year``, in the order given."""
    rows = await session.exec(
        select(TierStatus.firm_id, TierStatus.id).where(
            col(TierStatus.firm_id).in_([f.id for f in firms]),
            TierStatus.tier == tier,
            TierStatus.year == year,
        )
    )
    found = {firm_id: status_id or 0 for firm_id, status_id in rows.all()}
    return [found[f.id or 0] for f in firms]


async def _rows(session: AsyncSession, sql: str) -> list[tuple[Any, ...]]:
    await session.flush()  # raw SQL does not flush pending ORM rows by itself
    connection = await session.connection()
    return [tuple(r) for r in (await connection.execute(text(sql))).all()]


async def states(session: AsyncSession) -> dict[int, tuple[str, int | None, str | None]]:
    rows = await _rows(session, "SELECT id, state, batch_id, admission_no FROM tier_status")
    return {status_id: (state, batch_id, number) for status_id, state, batch_id, number in rows}


async def database_state(session: AsyncSession) -> dict[str, Any]:
    """Everything the workflow writes: a refused request must leave all of it as it was."""
    return {
        "statuses": await states(session),
        "transitions": await _rows(session, "SELECT count(*) FROM tier_transition"),
        "audit": await _rows(session, "SELECT count(*) FROM audit_log"),
        "batches": await _rows(
            session, "SELECT id, state, notice_from, notice_to, announced_on FROM tier_batch ORDER BY id"
        ),
        "objections": await _rows(session, "SELECT id, outcome, resolution FROM tier_objection ORDER BY id"),
    }


def notice_window(start_days_ago: int = 10, end_days_ago: int = 3) -> dict[str, str]:
    return {"notice_from": days_ago(start_days_ago), "notice_to": days_ago(end_days_ago)}


def today() -> date:
    return clock.today()
