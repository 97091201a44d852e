"""Every statement of the import path: bulk reads of what a file touches, COPY of what it adds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import pandas as pd
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.driver import driver_connection
from backend.models import Bureau, District, FunctionalZone, ImportFile, ImportIssue, ImportRun
from rules.facts import FILING_FIELDS

FIGURES = [f.name for f in FILING_FIELDS]
PROVENANCE = ("import_run_id", "source_row", "updated_at")
FIRM_FIELDS = ["firm_id", "uscc", "name", "bureau_code", "registered_on", "revision_no", "district_code",
               "functional_zone", "legal_form", "tech_field"]  # fmt: skip
COMMIT_LOCK = 0x7469_6475_0001  # pg_advisory_xact_lock key of import commits ("tidu" 1)
ISSUE_COLUMNS = ("import_run_id", "severity", "sheet", "row", "column", "header", "value", "message", "field")


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- runs ---------------------------------------------------------------------------------------

    async def committed_with(self, sha256: str, kind: str) -> ImportRun | None:
        statement = (
            select(ImportRun)
            .where(ImportRun.sha256 == sha256, ImportRun.kind == kind, ImportRun.status == "committed")
            .order_by(col(ImportRun.id))
        )
        return (await self.session.exec(statement)).first()

    async def get(self, run_id: int) -> ImportRun | None:
        return await self.session.get(ImportRun, run_id)

    async def lock(self, run_id: int) -> ImportRun | None:
        statement = select(ImportRun).where(ImportRun.id == run_id).with_for_update()
        return (await self.session.exec(statement)).one_or_none()

    async def file(self, run_id: int) -> bytes | None:
        stored = await self.session.get(ImportFile, run_id)
        return stored.content if stored else None

    async def issues(
        self, run_id: int, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[ImportIssue]:
        statement = (
            select(ImportIssue).where(ImportIssue.import_run_id == run_id).order_by(col(ImportIssue.id))
        )
        if limit is not None:
            statement = statement.offset(offset).limit(limit)
        return (await self.session.exec(statement)).all()

    async def count_issues(self, run_id: int) -> int:
        statement = select(func.count()).select_from(ImportIssue).where(ImportIssue.import_run_id == run_id)
        return (await self.session.exec(statement)).one()

    async def runs(self, bureau: str | None, *, offset: int, limit: int) -> tuple[Sequence[ImportRun], int]:
        """A page of runs, newest first, and how many there are (``bureau`` None: every bureau's)."""
        statement = select(ImportRun).order_by(col(ImportRun.id).desc()).offset(offset).limit(limit)
        counting = select(func.count()).select_from(ImportRun)
        if bureau is not None:
            statement = statement.where(ImportRun.bureau_code == bureau)
            counting = counting.where(ImportRun.bureau_code == bureau)
        return (await self.session.exec(statement)).all(), (await self.session.exec(counting)).one()

    async def serialize_commits(self) -> None:
        """One import commits at a time (held to the end of the transaction): no two plans race on a firm."""
        db = await driver_connection(self.session)
        await db.execute("SELECT pg_advisory_xact_lock($1)", COMMIT_LOCK)

    def add(self, row: ImportRun | ImportFile) -> None:
        self.session.add(row)

    async def store_issues(self, run_id: int, issues: Sequence[Any]) -> None:
        if not issues:
            return
        db = await driver_connection(self.session)
        records = [
            (
                run_id,
                i.severity,
                i.sheet,
                i.row,
                i.column,
                _cut(i.header, 200),
                _cut(i.value, 500),
                _cut(i.message, 1000),
                i.field,
            )
            for i in issues
        ]
        await db.copy_records_to_table("import_issue", records=records, columns=list(ISSUE_COLUMNS))

    async def drop_issues(self, run_id: int) -> None:
        db = await driver_connection(self.session)
        await db.execute("DELETE FROM import_issue WHERE import_run_id = $1", run_id)

    # -- reference ------------------------------------------------------------------------------------

    async def reference(self) -> tuple[Sequence[Bureau], Sequence[District], Sequence[FunctionalZone]]:
        bureaus = (await self.session.exec(select(Bureau))).all()
        districts = (await self.session.exec(select(District))).all()
        zones = (await self.session.exec(select(FunctionalZone))).all()
        return bureaus, districts, zones

    # -- what a file touches -----------------------------------------------------------------------------

    async def firms(self, usccs: Sequence[str]) -> pd.DataFrame:
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT id, uscc, name, bureau_code, registered_on, revision_no FROM firm WHERE uscc = ANY($1::text[])",
            list(usccs),
        )
        return pd.DataFrame.from_records(
            [tuple(r) for r in rows],
            columns=["firm_id", "uscc", "name", "bureau_code", "registered_on", "revision_no"],
        )

    async def current_filings(
        self, firm_ids: Sequence[int], years: Sequence[int], *, lock: bool
    ) -> pd.DataFrame:
        """Current revisions of the filings of ``firm_ids`` in ``years``, and the bureau that last imported them."""
        db = await driver_connection(self.session)
        figures = ", ".join(f"r.{c}" for c in FIGURES)
        rows = await db.fetch(
            f"SELECT f.id, f.firm_id, f.fiscal_year, f.current_revision_no, run.bureau_code, {figures} "
            "FROM filing f JOIN filing_revision r ON r.filing_id = f.id AND r.revision_no = f.current_revision_no "
            "LEFT JOIN import_run run ON run.id = r.import_run_id "
            "WHERE f.firm_id = ANY($1::bigint[]) AND f.fiscal_year = ANY($2::int[])"
            + (" FOR UPDATE OF f" if lock else ""),
            list(firm_ids),
            list(years),
        )
        columns = ["filing_id", "firm_id", "fiscal_year", "revision_no", "imported_by", *FIGURES]
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=columns)

    async def ip_counts(self, usccs: Sequence[str], on: date) -> pd.DataFrame:
        """Valid class I and II IP records per owner on ``on`` (the IP register)."""
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT owner_uscc, count(*) FILTER (WHERE ip_class = 1), count(*) FILTER (WHERE ip_class = 2) "
            "FROM ip_record WHERE owner_uscc = ANY($1::text[]) AND (valid_from IS NULL OR valid_from <= $2) "
            "AND (valid_to IS NULL OR valid_to >= $2) GROUP BY owner_uscc",
            list(usccs),
            on,
        )
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=["uscc", "ip1", "ip2"])

    async def registrations(self, usccs: Sequence[str]) -> pd.DataFrame:
        db = await driver_connection(self.session)
        rows = await db.fetch(
            "SELECT uscc, registered_on, abnormal_operation, serious_violation, status FROM business_record "
            "WHERE uscc = ANY($1::text[])",
            list(usccs),
        )
        return pd.DataFrame.from_records(
            [tuple(r) for r in rows],
            columns=["uscc", "registered_on", "abnormal_operation", "serious_violation", "status"],
        )

    # -- writes ---------------------------------------------------------------------------------------------

    async def copy(self, table: str, columns: Sequence[str], records: Sequence[tuple[Any, ...]]) -> None:
        if records:
            db = await driver_connection(self.session)
            await db.copy_records_to_table(table, records=records, columns=list(columns))

    async def allocate_ids(self, table: str, count: int) -> list[int]:
        """``count`` fresh ids from the table's own sequence (what its inserts would have drawn)."""
        if not count:
            return []
        db = await driver_connection(self.session)
        # One array rather than a row per id, and the sequence looked up once rather than per id:
        # 100,000 ids in 0.03 s instead of 0.27 s.
        sequence = await db.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
        ids: list[int] = await db.fetchval(
            "SELECT array_agg(nextval($1::regclass)) FROM generate_series(1, $2)", sequence, count
        )
        return ids

    async def advance_filings(
        self, filing_ids: Sequence[int], revisions: Sequence[int], at: datetime
    ) -> None:
        db = await driver_connection(self.session)
        await db.execute(
            "UPDATE filing f SET current_revision_no = v.rev, updated_at = $3 "
            "FROM unnest($1::bigint[], $2::int[]) AS v(id, rev) WHERE f.id = v.id",
            list(filing_ids),
            list(revisions),
            at,
        )

    async def rename_firms(
        self, ids: Sequence[int], names: Sequence[str], at: datetime
    ) -> list[asyncpg.Record]:
        """Give each firm its new name and next revision number; return the whole new identity of each.

        The returned rows carry every identity column a firm revision records, so the revision
        written for a rename repeats what did not change (legal form, district, zone, field …).
        """
        db = await driver_connection(self.session)
        return await db.fetch(
            "UPDATE firm f SET name = v.name, revision_no = f.revision_no + 1, updated_at = $3 "
            "FROM unnest($1::bigint[], $2::text[]) AS v(id, name) WHERE f.id = v.id "
            "RETURNING f.id, f.revision_no, f.name, f.legal_form, f.bureau_code, f.district_code, "
            "f.functional_zone, f.registered_on, f.tech_field",
            list(ids),
            list(names),
            at,
        )

    async def upsert_business(self, records: Sequence[tuple[Any, ...]]) -> None:
        await self._upsert(
            "business_record",
            ("uscc", "name", "status", "registered_on", "abnormal_operation", "serious_violation", "import_run_id",
             "source_row", "updated_at"),
            "uscc",
            records,
        )  # fmt: skip

    async def upsert_ip(self, records: Sequence[tuple[Any, ...]]) -> None:
        await self._upsert(
            "ip_record",
            ("number", "ip_type", "ip_class", "owner_uscc", "valid_from", "valid_to", "import_run_id", "source_row",
             "updated_at"),
            "number",
            records,
        )  # fmt: skip

    async def _upsert(
        self, table: str, columns: Sequence[str], key: str, records: Sequence[tuple[Any, ...]]
    ) -> None:
        """COPY into a staging table made LIKE the target, then one INSERT … ON CONFLICT."""
        if not records:
            return
        db = await driver_connection(self.session)
        stage = f"{table}_stage"
        await db.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        await db.execute(f"TRUNCATE {stage}")
        await db.copy_records_to_table(stage, records=records, columns=list(columns))
        names = ", ".join(columns)
        # A blank cell keeps what the register held; the provenance always moves to the newest import.
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}" if c in PROVENANCE else f"{c} = COALESCE(EXCLUDED.{c}, {table}.{c})"
            for c in columns if c != key
        )  # fmt: skip
        await db.execute(
            f"INSERT INTO {table} ({names}) SELECT DISTINCT ON ({key}) {names} FROM {stage} ORDER BY {key}, source_row DESC "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )


def _cut(text: str | None, size: int) -> str | None:
    return text if text is None or len(text) <= size else text[: size - 1] + "…"
