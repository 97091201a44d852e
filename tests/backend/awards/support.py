"""Award test helpers: decisions written straight into the evaluation tables, and API calls."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import Result, TextClause, text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Evaluation, FactSnapshot, Firm, RulesetVersion
from backend.rulesets.service import registry

_numbers = itertools.count(1)
YEAR = 2026
CITY_FIRST = "hte_city_first"  # not once per firm
LOAN = "seedling_loan"  # once per firm


async def decide(
    session: AsyncSession,
    firm: Firm,
    program: str,
    year: int = YEAR,
    *,
    outcome: str = "eligible",
    amount_yuan: int | None = 100_000,
    provisional: bool = False,
) -> Evaluation:
    """A decision for ``firm`` as ``tidu evaluate`` would store it, and make it the latest."""
    assert firm.id is not None
    ruleset = registry().versions(program)[-1]
    if await session.get(RulesetVersion, ruleset.content_hash) is None:
        document = ruleset.document.model_dump(mode="json", by_alias=True)
        session.add(RulesetVersion(content_hash=ruleset.content_hash, program=program, version=ruleset.version,
                                   document=document))  # fmt: skip
    snapshot = hashlib.sha256(f"{firm.id}:{year}:{next(_numbers)}".encode()).hexdigest()
    session.add(FactSnapshot(snapshot_hash=snapshot, firm_id=firm.id, year=year, facts={}))
    await session.flush()
    evaluation = Evaluation(
        firm_id=firm.id, program=program, version=ruleset.version, ruleset_hash=ruleset.content_hash, year=year,
        as_of=date(year, 12, 31), evaluated_on=date(year, 12, 31), outcome=outcome, amount_yuan=amount_yuan,
        criteria={}, provisional=provisional, inputs_hash=snapshot, snapshot_hash=snapshot, run_id=str(uuid.uuid4()),
    )  # fmt: skip
    session.add(evaluation)
    await session.flush()
    await sql(session,
        text(
            "INSERT INTO evaluation_latest (firm_id, program, year, evaluation_id, ruleset_hash, inputs_hash, outcome) "
            "VALUES (:firm, :program, :year, :id, :rules, :inputs, :outcome) ON CONFLICT (firm_id, program, year) "
            "DO UPDATE SET evaluation_id = EXCLUDED.evaluation_id, outcome = EXCLUDED.outcome"
        ),
        {"firm": firm.id, "program": program, "year": year, "id": evaluation.id, "rules": ruleset.content_hash,
         "inputs": snapshot, "outcome": outcome},
    )  # fmt: skip
    return evaluation


async def sql(
    session: AsyncSession, statement: str | TextClause, params: dict[str, Any] | None = None
) -> Result[Any]:
    """Plain SQL on the session's connection (inside the test's transaction)."""
    connection = await session.connection()
    return await connection.execute(
        text(statement) if isinstance(statement, str) else statement, params or {}
    )


async def awards_of(session: AsyncSession, firm: Firm, program: str | None = None) -> list[dict[str, Any]]:
    """Every award row of a firm (superseded too), oldest first, read fresh from the database."""
    rows = await sql(
        session,
        text(
            "SELECT id, program, year, amount_yuan, state, corrects_id, evaluation_id, export_run_id, paid_on, "
            "payment_ref, reason, bureau_code, once_per_firm, ruleset_hash FROM award "
            "WHERE firm_id = :firm AND (CAST(:program AS text) IS NULL OR program = :program) ORDER BY id"
        ),
        {"firm": firm.id, "program": program},
    )
    return [dict(r._mapping) for r in rows]


async def count(session: AsyncSession, table: str) -> int:
    return int((await sql(session, text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def snapshot(session: AsyncSession) -> tuple[Any, ...]:
    """What a refused request must leave exactly as it was."""
    rows = await sql(
        session, text("SELECT id, state, amount_yuan, paid_on, payment_ref FROM award ORDER BY id")
    )
    return (
        tuple(tuple(r) for r in rows),
        await count(session, "award_event"),
        await count(session, "audit_log"),
    )


async def compute(
    client: httpx.AsyncClient, headers: dict[str, str], year: int = YEAR, program: str | None = CITY_FIRST
) -> httpx.Response:
    body: dict[str, Any] = {"year": year}
    if program is not None:
        body["program"] = program
    return await client.post("/api/awards/compute", json=body, headers=headers)


def error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    detail: str = body["detail"]
    return detail
