"""The dashboard's aggregate reads: tier counts, targets, certificates, decisions, awards, runs.

Every query groups in the database and returns a few rows per bureau, tier or year, whatever
the registry's size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.driver import driver_connection
from backend.targets.repository import WAS_ADMITTED


@dataclass(frozen=True)
class TargetRow:
    bureau_code: str
    metric: str
    kind: str
    unit: str
    target: Decimal


@dataclass(frozen=True)
class AwardTotal:
    program: str
    state: str
    count: int
    amount_yuan: int


@dataclass(frozen=True)
class RunRow:
    at: datetime
    actor_label: str
    summary: dict[str, Any]


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value)
        return loaded
    return dict(value or {})


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def bureaus(self) -> list[tuple[str, str]]:
        """(code, name): the 16 district bureaus in district order, then the zones' bureaus."""
        db = await driver_connection(self.session)
        rows = await db.fetch("SELECT code, name FROM bureau ORDER BY kind = 'zone', district_code, code")
        return [(row["code"], row["name"]) for row in rows]

    async def years(self) -> list[int]:
        """Every year with targets, tier records or awards (decisions alone do not add a year)."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT year FROM district_target UNION SELECT year FROM tier_status "
            "UNION SELECT year FROM award ORDER BY 1"
        )
        return [int(row[0]) for row in rows]

    async def target_years(self) -> list[int]:
        db = await driver_connection(self.session)
        return [int(r[0]) for r in await db.fetch("SELECT DISTINCT year FROM district_target ORDER BY 1")]

    async def targets(self, year: int) -> list[TargetRow]:
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT bureau_code, metric, kind, unit, target FROM district_target WHERE year = $1 "
            "ORDER BY metric, bureau_code",
            year,
        )
        return [TargetRow(r["bureau_code"], r["metric"], r["kind"], r["unit"], r["target"]) for r in rows]

    async def admissions_by_year(self) -> list[tuple[int, str, int]]:
        """(application year, tier, firms admitted)."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            f"SELECT year, tier, count(*) FROM tier_status WHERE state IN {WAS_ADMITTED} GROUP BY year, tier"
        )
        return [(int(r[0]), r[1], int(r[2])) for r in rows]

    async def eligible_by_year(self, programs: Sequence[str]) -> list[tuple[int, str, int]]:
        """(year, program, firms whose latest decision is eligible)."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT year, program, count(*) FROM evaluation_latest "
            "WHERE outcome = 'eligible' AND program = ANY($1::text[]) GROUP BY year, program",
            list(programs),
        )
        return [(int(r[0]), r[1], int(r[2])) for r in rows]

    async def award_totals(self, year: int) -> list[AwardTotal]:
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT program, state, count(*), COALESCE(sum(amount_yuan), 0) FROM award "
            "WHERE year = $1 AND state <> 'superseded' GROUP BY program, state",
            year,
        )
        return [AwardTotal(r[0], r[1], int(r[2]), int(r[3])) for r in rows]

    async def award_budgets(self, year: int) -> dict[str, int]:
        db = await driver_connection(self.session)
        rows = await db.fetch("SELECT program, amount_yuan FROM award_budget WHERE year = $1", year)
        return {r[0]: int(r[1]) for r in rows}

    async def outcomes(self, year: int) -> list[tuple[str, str, int]]:
        """(program, outcome, firms) of the latest stored decisions of ``year``."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT program, outcome, count(*) FROM evaluation_latest WHERE year = $1 GROUP BY program, outcome",
            year,
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def evaluation_runs(self, limit: int) -> list[RunRow]:
        """The latest evaluation runs (pages, ``tidu evaluate``, the nightly job), newest first."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT at, actor_label, after FROM audit_log WHERE entity = 'evaluation' AND action = 'evaluation.run' "
            "ORDER BY at DESC, id DESC LIMIT $1",
            limit,
        )
        return [RunRow(r["at"], r["actor_label"], _json(r["after"])) for r in rows]

    async def evaluation_run(self, run_id: str) -> RunRow | None:
        db = await driver_connection(self.session)
        row = await db.fetchrow(
            "SELECT at, actor_label, after FROM audit_log "
            "WHERE entity = 'evaluation' AND entity_id = $1 AND action = 'evaluation.run'",
            run_id,
        )
        return RunRow(row["at"], row["actor_label"], _json(row["after"])) if row is not None else None
