"""SQL behind the lists: plain records read by column name (never ORM objects), and export_run rows.

Each list query orders by a unique key so the same data always gives the same rows in the same
order. Optional filters are added as clauses, never as ``:x IS NULL`` tricks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import asyncpg
from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.driver import driver_connection
from backend.models import ExportRun

Rows = Sequence[Any]  # sqlalchemy Rows or asyncpg Records, read by column name (never ORM objects)
AWARD_FACTS = "a.id, f.uscc, f.name, a.program, a.year, a.amount_yuan, rv.version, a.corrects_id, a.reason"


class RecordCursor(Protocol):
    """An asyncpg server-side cursor: ``fetch(n)`` gives the next ``n`` records ([] at the end)."""

    async def fetch(self, n: int) -> list[Any]: ...


def _where(clauses: list[str]) -> str:
    return " AND ".join(clauses) if clauses else "TRUE"


@dataclass(frozen=True)
class AwardFilter:
    """The awards a 拨付清单 lists; ``sql`` gives one query text for the light read and the cursor."""

    year: int
    program: str | None
    bureau: str | None
    states: Sequence[str]

    def sql(self, columns: str) -> tuple[str, list[Any]]:
        """``columns`` of the listed awards, by bureau, program, uscc, id (asyncpg $n parameters)."""
        clauses, args = ["a.year = $1", "a.state = ANY($2::text[])"], [self.year, list(self.states)]
        if self.program is not None:
            args.append(self.program)
            clauses.append(f"a.program = ${len(args)}")
        if self.bureau is not None:
            args.append(self.bureau)
            clauses.append(f"a.bureau_code = ${len(args)}")
        sql = f"""
            SELECT {columns}
              FROM award a
              JOIN firm f ON f.id = a.firm_id
              JOIN bureau b ON b.code = a.bureau_code
              LEFT JOIN ruleset_version rv ON rv.content_hash = a.ruleset_hash
              LEFT JOIN evaluation e ON e.id = a.evaluation_id
             WHERE {_where(clauses)}
             ORDER BY a.bureau_code, a.program, f.uscc, a.id"""
        return sql, args


class ExportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _all(self, sql: str, params: dict[str, Any]) -> Rows:
        await self.session.flush()  # raw SQL must see rows the ORM has pending in this transaction
        connection = await self.session.connection()
        return (await connection.execute(text(sql), params)).all()

    # -- 拨付清单 -----------------------------------------------------------------------------

    async def award_facts(self, listed: AwardFilter) -> RecordCursor:
        """What the snapshot, the manifest and the final marking need, per listed award (the
        first nine columns of ``award_lines``) through a server-side cursor: id, uscc, name (the
        firm's), program, year, amount_yuan, version, corrects_id, reason — by bureau, program, uscc."""
        sql, args = listed.sql(AWARD_FACTS)
        db = await self._driver()
        cursor: RecordCursor = await db.cursor(sql, *args)
        return cursor

    async def award_lines(self, listed: AwardFilter) -> RecordCursor:
        """The same awards in the same order through a server-side cursor, for the file: the nine
        ``award_facts`` columns, then bureau_name and provisional. Read it before the transaction ends."""
        sql, args = listed.sql(
            f"{AWARD_FACTS}, b.name AS bureau_name, COALESCE(e.provisional, FALSE) AS provisional"
        )
        db = await self._driver()
        cursor: RecordCursor = await db.cursor(sql, *args)
        return cursor

    async def _driver(self) -> asyncpg.Connection:
        await self.session.flush()  # raw SQL must see rows the ORM has pending in this transaction
        return await driver_connection(self.session)

    async def award_history(self, keys: Sequence[tuple[str, str, int]]) -> Rows:
        """For (uscc, program, year) keys: every award, newest first, with its latest event's reason.
        uscc, program, year, id, state, amount_yuan, reason, corrects_id, export_run_id, event_reason."""
        if not keys:
            return []
        sql = """
            SELECT f.uscc, a.program, a.year, a.id, a.state, a.amount_yuan, a.reason, a.corrects_id,
                   a.export_run_id,
                   (SELECT ev.reason FROM award_event ev
                     WHERE ev.award_id = a.id AND ev.to_state = a.state
                     ORDER BY ev.at DESC, ev.id DESC LIMIT 1) AS event_reason
              FROM award a
              JOIN firm f ON f.id = a.firm_id
              JOIN unnest(CAST(:usccs AS text[]), CAST(:programs AS text[]), CAST(:years AS int[]))
                   AS k(uscc, program, year)
                ON k.uscc = f.uscc AND k.program = a.program AND k.year = a.year
             ORDER BY f.uscc, a.program, a.year, a.id DESC"""
        params = {
            "usccs": [k[0] for k in keys],
            "programs": [k[1] for k in keys],
            "years": [k[2] for k in keys],
        }
        return await self._all(sql, params)

    # -- 评价结果 -----------------------------------------------------------------------------

    async def evaluations(self, *, year: int, program: str | None, bureau: str | None) -> Rows:
        """uscc, name (the firm's), bureau_code, bureau_name, program, outcome, criteria, version,
        ruleset_hash, amount_yuan, provisional — latest decision per firm and program, by bureau, program, uscc."""
        clauses = ["l.year = :year"]
        params: dict[str, Any] = {"year": year}
        if program is not None:
            clauses.append("l.program = :program")
            params["program"] = program
        if bureau is not None:
            clauses.append("f.bureau_code = :bureau")
            params["bureau"] = bureau
        sql = f"""
            SELECT f.uscc, f.name, f.bureau_code, b.name AS bureau_name, e.program, e.outcome, e.criteria, e.version,
                   e.ruleset_hash, e.amount_yuan, e.provisional
              FROM evaluation_latest l
              JOIN evaluation e ON e.id = l.evaluation_id
              JOIN firm f ON f.id = l.firm_id
              JOIN bureau b ON b.code = f.bureau_code
             WHERE {_where(clauses)}
             ORDER BY f.bureau_code, e.program, f.uscc"""
        return await self._all(sql, params)

    # -- 入库名单 / 公示名单 ---------------------------------------------------------------------

    async def batch(self, batch_id: int) -> Any:
        """id, year, seq, label, state, notice_from, notice_to, announced_on."""
        rows = await self._all(
            "SELECT id, year, seq, label, state, notice_from, notice_to, announced_on"
            " FROM tier_batch WHERE id = :id",
            {"id": batch_id},
        )
        return rows[0] if rows else None

    async def batch_members(
        self, *, batch_id: int, states: Sequence[str], noticed: bool, tier: str | None, bureau: str | None
    ) -> Rows:
        """uscc, name, bureau_code, bureau_name, district, tier, state, admission_no, year, valid_from.

        ``noticed`` also takes members that went through 公示 in this batch, whatever their state now."""
        member = "ts.state = ANY(:states)"
        if noticed:
            member = (
                f"({member} OR EXISTS (SELECT 1 FROM tier_transition tt"
                " WHERE tt.tier_status_id = ts.id AND tt.to_state = 'public_notice'))"
            )
        clauses = ["ts.batch_id = :batch", member]
        params: dict[str, Any] = {"batch": batch_id, "states": list(states)}
        if tier is not None:
            clauses.append("ts.tier = :tier")
            params["tier"] = tier
        if bureau is not None:
            clauses.append("f.bureau_code = :bureau")
            params["bureau"] = bureau
        sql = f"""
            SELECT f.uscc, f.name, f.bureau_code, b.name AS bureau_name, d.name AS district, ts.tier, ts.state, ts.admission_no,
                   ts.year, ts.valid_from
              FROM tier_status ts
              JOIN firm f ON f.id = ts.firm_id
              JOIN bureau b ON b.code = f.bureau_code
              JOIN district d ON d.code = f.district_code
             WHERE {_where(clauses)}
             ORDER BY array_position(ARRAY['seedling','gazelle','leader_candidate','leader'], ts.tier::text),
                      f.bureau_code, ts.admission_no NULLS LAST, f.uscc"""
        return await self._all(sql, params)

    async def tier_states(self, batch_id: int, usccs: Sequence[str]) -> Rows:
        """uscc, tier, state, reason (the latest transition's) — for explaining a list's changes."""
        if not usccs:
            return []
        sql = """
            SELECT f.uscc, ts.tier, ts.state,
                   (SELECT tt.reason FROM tier_transition tt WHERE tt.tier_status_id = ts.id
                     ORDER BY tt.at DESC, tt.id DESC LIMIT 1) AS reason
              FROM tier_status ts JOIN firm f ON f.id = ts.firm_id
             WHERE ts.batch_id = :batch AND f.uscc = ANY(:usccs)"""
        return await self._all(sql, {"batch": batch_id, "usccs": list(usccs)})

    # -- 区县目标进度 ---------------------------------------------------------------------------

    async def targets(self, *, year: int, bureau: str | None) -> Rows:
        """bureau_code, bureau_name, metric, kind, unit, target, responsible — by bureau, metric."""
        clauses = ["t.year = :year"]
        params: dict[str, Any] = {"year": year}
        if bureau is not None:
            clauses.append("t.bureau_code = :bureau")
            params["bureau"] = bureau
        sql = f"""
            SELECT t.bureau_code, b.name AS bureau_name, t.metric, t.kind, t.unit, t.target, t.responsible
              FROM district_target t JOIN bureau b ON b.code = t.bureau_code
             WHERE {_where(clauses)}
             ORDER BY t.bureau_code, t.metric"""
        return await self._all(sql, params)

    # -- 提醒 -------------------------------------------------------------------------------

    async def expiring_certificates(self, *, kind: str, start: date, end: date, bureau: str | None) -> Rows:
        """uscc, name, bureau_code, bureau_name, number, issued_on, expires_on — not already renewed."""
        clauses = [
            "c.kind = :kind", "c.status = 'active'", "c.expires_on BETWEEN :start AND :end",
            "NOT EXISTS (SELECT 1 FROM certificate n WHERE n.firm_id = c.firm_id AND n.kind = c.kind"
            " AND n.status = 'active' AND n.expires_on > c.expires_on)",
        ]  # fmt: skip
        params: dict[str, Any] = {"kind": kind, "start": start, "end": end}
        return await self._certificates(clauses, params, bureau)

    async def unrenewed_registrations(self, *, kind: str, before_year: int, bureau: str | None) -> Rows:
        """Firms whose latest active ``kind`` certificate was issued before ``before_year``."""
        clauses = [
            "c.kind = :kind", "c.status = 'active'", "EXTRACT(YEAR FROM c.issued_on) < :year",
            "NOT EXISTS (SELECT 1 FROM certificate n WHERE n.firm_id = c.firm_id AND n.kind = c.kind"
            " AND n.status = 'active' AND (n.issued_on, n.id) > (c.issued_on, c.id))",
        ]  # fmt: skip
        return await self._certificates(clauses, {"kind": kind, "year": before_year}, bureau)

    async def _certificates(self, clauses: list[str], params: dict[str, Any], bureau: str | None) -> Rows:
        if bureau is not None:
            clauses.append("f.bureau_code = :bureau")
            params["bureau"] = bureau
        sql = f"""
            SELECT f.uscc, f.name, f.bureau_code, b.name AS bureau_name, c.number, c.issued_on, c.expires_on
              FROM certificate c
              JOIN firm f ON f.id = c.firm_id
              JOIN bureau b ON b.code = f.bureau_code
             WHERE {_where(clauses)}
             ORDER BY f.bureau_code, f.uscc, c.id"""
        return await self._all(sql, params)

    async def missing_annual_filings(self, *, fiscal_year: int, bureau: str | None) -> Rows:
        """uscc, name, bureau_code, bureau_name, tiers (text[]): admitted firms with no filing for the year."""
        clauses = [
            "ts.state = 'admitted'",
            "NOT EXISTS (SELECT 1 FROM filing fi WHERE fi.firm_id = f.id AND fi.fiscal_year = :fy)",
        ]
        params: dict[str, Any] = {"fy": fiscal_year}
        if bureau is not None:
            clauses.append("f.bureau_code = :bureau")
            params["bureau"] = bureau
        sql = f"""
            SELECT f.uscc, f.name, f.bureau_code, b.name AS bureau_name,
                   array_agg(DISTINCT ts.tier ORDER BY ts.tier) AS tiers
              FROM tier_status ts
              JOIN firm f ON f.id = ts.firm_id
              JOIN bureau b ON b.code = f.bureau_code
             WHERE {_where(clauses)}
             GROUP BY f.uscc, f.name, f.bureau_code, b.name
             ORDER BY f.bureau_code, f.uscc"""
        return await self._all(sql, params)

    # -- export_run -------------------------------------------------------------------------

    async def latest_run(self, kind: str, scope_key: str) -> ExportRun | None:
        statement = (
            select(ExportRun)
            .where(ExportRun.kind == kind, ExportRun.scope_key == scope_key)
            .order_by(col(ExportRun.created_at).desc(), col(ExportRun.id).desc())
            .limit(1)
        )
        return (await self.session.exec(statement)).first()

    async def run_with_file(self, file_sha256: str) -> ExportRun | None:
        """The (first) export whose file has this SHA-256."""
        statement = (
            select(ExportRun).where(ExportRun.file_sha256 == file_sha256).order_by(col(ExportRun.id)).limit(1)
        )
        return (await self.session.exec(statement)).first()

    async def count_awards(self, listed: AwardFilter) -> int:
        """How many awards a 拨付清单 of ``listed`` would name now."""
        sql, args = listed.sql("a.id")
        db = await self._driver()
        found: int = await db.fetchval(f"SELECT count(*) FROM ({sql}) AS listed", *args)
        return found

    async def lock_scope(self, kind: str, scope_key: str) -> None:
        """Serialise exports of one scope, so each diffs against the one committed before it."""
        connection = await self.session.connection()
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"export:{kind}:{scope_key}"}
        )

    async def add_run(self, run: ExportRun) -> ExportRun:
        self.session.add(run)
        await self.session.flush()
        return run

    async def run(self, run_id: int) -> ExportRun | None:
        return await self.session.get(ExportRun, run_id)

    async def runs(
        self, *, kinds: Sequence[str] | None, scope_prefix: str | None, offset: int, limit: int
    ) -> tuple[Sequence[ExportRun], int]:
        statement = select(ExportRun).order_by(col(ExportRun.created_at).desc(), col(ExportRun.id).desc())
        counting = select(func.count()).select_from(ExportRun)
        if kinds is not None:
            statement = statement.where(col(ExportRun.kind).in_(kinds))
            counting = counting.where(col(ExportRun.kind).in_(kinds))
        if scope_prefix is not None:  # a bureau's runs: its scope keys name it
            pattern = f"%;bureau={scope_prefix};%"
            statement = statement.where(col(ExportRun.scope_key).concat(";").like(pattern))
            counting = counting.where(col(ExportRun.scope_key).concat(";").like(pattern))
        rows = (await self.session.exec(statement.offset(offset).limit(limit))).all()
        return rows, (await self.session.exec(counting)).one()
