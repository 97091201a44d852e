"""Evaluating a year: immutable decisions, unchanged ones not written twice, reproducible inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.errors import Forbidden
from backend.core.security import Actor
from backend.evaluations import service
from backend.filings import service as filing_service
from backend.filings.schemas import FilingUpdate
from backend.rulesets.service import registry
from rules.evaluate import evaluate_facts
from tests.factories.evaluations import last_fiscal_year, seedling_firm
from tests.factories.firms import OPERATOR
from vocabulary.states import Role

YEAR = clock.today().year


async def _rows(session: AsyncSession, sql: str, **params: object) -> list[dict[str, Any]]:
    await session.flush()  # raw SQL does not flush pending ORM rows (the audit log) by itself
    connection = await session.connection()
    return [dict(r._mapping) for r in (await connection.execute(text(sql), params)).all()]


async def test_a_run_stores_one_decision_per_firm_and_program(session: AsyncSession) -> None:
    eligible = await seedling_firm(session)
    short = await seedling_firm(session, revenue_yuan=76_500)
    summary = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    assert summary.firms == 2
    assert summary.evaluated == 2
    assert summary.programs["seedling"] == {"eligible": 1, "ineligible": 1, "unknown": 0}
    rows = await _rows(session, "SELECT firm_id, outcome, criteria, version FROM evaluation ORDER BY firm_id")
    assert [(r["firm_id"], r["outcome"]) for r in rows] == [
        (eligible.id, "eligible"),
        (short.id, "ineligible"),
    ]
    assert rows[1]["criteria"]["revenue"] == "fail"
    assert rows[0]["version"] == "2021"


async def test_a_second_run_with_nothing_changed_writes_nothing(session: AsyncSession) -> None:
    await seedling_firm(session)
    first = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    second = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    assert (first.evaluated, second.evaluated, second.unchanged) == (1, 0, 1)
    assert len(await _rows(session, "SELECT id FROM evaluation")) == 1


async def test_a_changed_filing_gives_a_new_decision_and_keeps_the_old_one(session: AsyncSession) -> None:
    firm = await seedling_firm(session, revenue_yuan=76_500)
    other = await seedling_firm(session)
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    await filing_service.revise_filing(
        session, OPERATOR, firm.uscc, last_fiscal_year(), FilingUpdate(revenue_yuan=150_000)
    )
    again = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    assert (again.evaluated, again.unchanged) == (1, 1)
    history = await _rows(
        session, "SELECT outcome FROM evaluation WHERE firm_id = :f ORDER BY created_at, id", f=firm.id
    )
    assert [r["outcome"] for r in history] == ["ineligible", "eligible"]
    assert len(await _rows(session, "SELECT id FROM evaluation WHERE firm_id = :f", f=other.id)) == 1


async def test_a_stored_decision_is_reproducible_from_its_snapshot_and_rule_version(
    session: AsyncSession,
) -> None:
    firm = await seedling_firm(session, revenue_yuan=99_999)
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    row = (await _rows(session, "SELECT e.*, s.facts, r.document FROM evaluation e "
                                "JOIN fact_snapshot s USING (snapshot_hash) JOIN ruleset_version r ON r.content_hash = e.ruleset_hash "
                                "WHERE e.firm_id = :f", f=firm.id))[0]  # fmt: skip
    facts = row["facts"][row["as_of"].isoformat()]
    assert facts["filing.revenue_yuan"] == 99_999
    rules = registry()
    ruleset = rules.get("seedling", "2021")
    assert row["document"]["version"] == "2021"
    assert ruleset.content_hash == row["ruleset_hash"]
    again = evaluate_facts(ruleset, facts, year=YEAR, as_of=row["as_of"], schema=rules.facts)
    assert again.outcome == row["outcome"] == "ineligible"
    assert again.trace.outcomes() == row["criteria"]


async def test_decisions_and_snapshots_cannot_be_rewritten(session: AsyncSession) -> None:
    await seedling_firm(session)
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    connection = await session.connection()
    for table in ("evaluation", "fact_snapshot", "ruleset_version"):
        nested = await connection.begin_nested()
        with pytest.raises(Exception, match="append-only"):
            await connection.execute(text(f"DELETE FROM {table}"))
        await nested.rollback()


async def test_unknown_decisions_name_the_missing_facts(session: AsyncSession) -> None:
    await seedling_firm(session, revenue_yuan=None)
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    row = (await _rows(session, "SELECT outcome, missing FROM evaluation"))[0]
    assert row == {"outcome": "unknown", "missing": ["filing.revenue_yuan"]}


async def test_a_bureau_evaluates_only_its_own_firms(session: AsyncSession) -> None:
    await seedling_firm(session, "jinghai")
    await seedling_firm(session, "heping")
    bureau = Actor(user_id=None, label="jinghai", role=Role.bureau, bureau_code="jinghai")
    summary = await service.evaluate_year(session, bureau, year=YEAR, programs=["seedling"])
    assert summary.firms == 1
    with pytest.raises(Forbidden):
        await service.evaluate_year(session, bureau, year=YEAR, bureau="heping")
    for role in (Role.enterprise, Role.finance):
        with pytest.raises(Forbidden):
            await service.evaluate_year(
                session, Actor(user_id=None, label="x", role=role, firm_id=1), year=YEAR
            )


async def test_a_run_is_audited_with_its_counts(session: AsyncSession) -> None:
    await seedling_firm(session)
    summary = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    audit = (
        await _rows(session, "SELECT action, entity_id, after FROM audit_log WHERE action = 'evaluation.run'")
    )[0]
    assert audit["entity_id"] == summary.run_id
    assert json.loads(json.dumps(audit["after"]))["evaluated"] == 1
