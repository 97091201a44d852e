"""The four long jobs the trials kill, and what "consistent" means for each.

Each operation names its command, the rows that show its commit, and a *state*: counts, sums and
an MD5 over its rows' content (never their ids, which sequences hand out even to a transaction
that rolls back). A killed run must leave exactly the state before the job or exactly the state
after a clean run; the job run again must end in the clean run's state. ``bookkeeping`` names the
keys a re-run that finds the job already done may add one record to (a duplicate import, an
evaluation run that decided nothing); nothing else may differ.

The invariants below hold on any registry, whatever ran or died: they are checked after every
kill and after every re-run.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import xlsxwriter  # type: ignore[import-untyped]
from sqlmodel import col, select

from backend.awards import service as award_service
from backend.core.config import Settings
from backend.core.db import make_engine, make_session_factory, transaction
from backend.core.security import Actor
from backend.models import Award
from importers.uscc import check_char
from tests.faults.lab import connect
from vocabulary.states import AwardState

INVARIANTS = {
    "a filing without its current revision": """
        SELECT count(*) FROM filing f WHERE NOT EXISTS (
          SELECT 1 FROM filing_revision r WHERE r.filing_id = f.id AND r.revision_no = f.current_revision_no)""",
    "a filing whose revisions are not 1..current": """
        SELECT count(*) FROM filing f WHERE f.current_revision_no <> (
          SELECT count(*) FROM filing_revision r WHERE r.filing_id = f.id)""",
    "a firm without its current revision": """
        SELECT count(*) FROM firm f WHERE NOT EXISTS (
          SELECT 1 FROM firm_revision r WHERE r.firm_id = f.id AND r.revision_no = f.revision_no)""",
    "an imported value whose import run is not committed": """
        SELECT (SELECT count(*) FROM filing_revision r WHERE r.source = 'import' AND NOT EXISTS (
                  SELECT 1 FROM import_run i WHERE i.id = r.import_run_id AND i.status = 'committed'))
             + (SELECT count(*) FROM firm_revision r WHERE r.source = 'import' AND NOT EXISTS (
                  SELECT 1 FROM import_run i WHERE i.id = r.import_run_id AND i.status = 'committed'))""",
    "an import run in no final state": """
        SELECT count(*) FROM import_run WHERE status NOT IN ('dry_run', 'committed', 'duplicate')""",
    "a committed import run without its audit row": """
        SELECT count(*) FROM import_run i WHERE i.status = 'committed' AND NOT EXISTS (
          SELECT 1 FROM audit_log a WHERE a.action = 'import.commit' AND a.entity_id = i.id::text)""",
    "an import run without its file": """
        SELECT count(*) FROM import_run i WHERE i.status <> 'duplicate' AND NOT EXISTS (
          SELECT 1 FROM import_file f WHERE f.import_run_id = i.id)""",
    "a latest decision that is not the decision it points at": """
        SELECT count(*) FROM evaluation_latest l JOIN evaluation e ON e.id = l.evaluation_id
        WHERE (e.firm_id, e.program, e.year, e.outcome, e.ruleset_hash, e.inputs_hash)
              IS DISTINCT FROM (l.firm_id, l.program, l.year, l.outcome, l.ruleset_hash, l.inputs_hash)""",
    "a decision newer than the latest": """
        SELECT count(*) FROM evaluation e JOIN evaluation_latest l USING (firm_id, program, year)
        WHERE e.id > l.evaluation_id""",
    "a decision without a latest row": """
        SELECT count(*) FROM evaluation e WHERE NOT EXISTS (
          SELECT 1 FROM evaluation_latest l WHERE (l.firm_id, l.program, l.year) = (e.firm_id, e.program, e.year))""",
    "an evaluation run without its audit row": """
        SELECT count(DISTINCT e.run_id) FROM evaluation e WHERE NOT EXISTS (
          SELECT 1 FROM audit_log a WHERE a.action = 'evaluation.run' AND a.entity_id = e.run_id)""",
    "an evaluation run that stored another number of decisions than it reported": """
        SELECT count(*) FROM audit_log a WHERE a.action = 'evaluation.run'
          AND (a.after->>'evaluated')::int <> (SELECT count(*) FROM evaluation e WHERE e.run_id = a.entity_id)""",
    "an award whose last event is not its state": """
        SELECT count(*) FROM award a WHERE a.state IS DISTINCT FROM (
          SELECT e.to_state FROM award_event e WHERE e.award_id = a.id ORDER BY e.id DESC LIMIT 1)""",
    "an exported award without its final export": """
        SELECT count(*) FROM award a LEFT JOIN export_run r ON r.id = a.export_run_id
        WHERE a.state IN ('exported', 'paid') AND (r.id IS NULL OR NOT r.final)""",
    "a final 拨付清单 that lists another number of awards than it marked": """
        SELECT count(*) FROM export_run r WHERE r.kind = 'disbursement' AND r.final
          AND r.row_count <> (SELECT count(*) FROM award a WHERE a.export_run_id = r.id)""",
    "an export run without its audit row": """
        SELECT count(*) FROM export_run r WHERE NOT EXISTS (
          SELECT 1 FROM audit_log a WHERE a.action = 'export' AND a.entity_id = r.id::text)""",
    "a job run left running": "SELECT count(*) FROM job_run WHERE status = 'running'",
}


async def violations(conn: asyncpg.Connection) -> dict[str, int]:
    found = {name: int(await conn.fetchval(query)) for name, query in INVARIANTS.items()}
    return {name: count for name, count in found.items() if count}


@dataclass(frozen=True)
class Context:
    """What the operations share: the demo's open year and the import workbook."""

    year: int  # the year the demo opened: decided, awards computed
    workbook: Path
    workbook_rows: int


class Operation:
    name: str
    title: str
    bookkeeping: frozenset[str] = frozenset()
    state_sql: str
    committed_sql: str

    def __init__(self, context: Context) -> None:
        self.context = context

    def args(self, workdir: Path) -> list[str]:
        raise NotImplementedError

    async def prepare(self, url: str, workdir: Path) -> None:
        """Turn a copy of the demo registry into this operation's starting point."""

    async def state(self, conn: asyncpg.Connection) -> dict[str, Any]:
        row = await conn.fetchrow(self.state_sql)
        assert row is not None
        return dict(row)

    def check_killed(self, workdir: Path, committed: bool, files: Files) -> list[str]:
        """Problems beyond the database after the kill (the export's file)."""
        return []

    def check_rerun(self, result: subprocess.CompletedProcess[str], committed: bool, added: int) -> list[str]:
        """Problems with what the re-run said it did; ``added``: rows the job adds (clean run)."""
        if result.returncode != 0:
            return [f"the re-run exited {result.returncode}: {result.stderr[-2000:]}"]
        return []

    def check_rerun_files(self, workdir: Path, files: Files) -> list[str]:
        return []

    def added(self, before: dict[str, Any], after: dict[str, Any]) -> int:
        """How many rows the job adds, for the re-run's report."""
        raise NotImplementedError


@dataclass(frozen=True)
class Files:
    """The final 拨付清单 runs as the database has them: (id, file_sha256, row_count), oldest first."""

    runs: list[tuple[int, str, int]]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ImportFilings(Operation):
    name, title = "import", "tidu import FILE --bureau jinghai (filing workbook; COPY commit)"
    bookkeeping = frozenset({"duplicate_runs", "audit_duplicates"})
    committed_sql = "EXISTS (SELECT 1 FROM import_run WHERE status = 'committed')"
    state_sql = """
        SELECT (SELECT count(*) FROM firm) AS firms,
               (SELECT count(*) FROM firm_revision) AS firm_revisions,
               (SELECT count(*) FROM filing) AS filings,
               (SELECT count(*) FROM filing_revision) AS filing_revisions,
               (SELECT count(*) FROM import_run WHERE status = 'committed') AS committed_runs,
               (SELECT count(*) FROM import_run WHERE status = 'duplicate') AS duplicate_runs,
               (SELECT count(*) FROM import_run WHERE status NOT IN ('committed', 'duplicate')) AS other_runs,
               (SELECT count(*) FROM import_issue) AS issues,
               (SELECT count(*) FROM import_file) AS files,
               (SELECT count(*) FROM audit_log WHERE action = 'import.commit') AS audit_commits,
               (SELECT count(*) FROM audit_log WHERE action = 'import.duplicate') AS audit_duplicates,
               (SELECT md5(string_agg(concat_ws('|', uscc, name, bureau_code, district_code, registered_on,
                                                revision_no), ',' ORDER BY uscc)) FROM firm) AS firms_md5,
               (SELECT md5(string_agg(concat_ws('|', f.uscc, g.fiscal_year, r.revision_no, r.revenue_yuan,
                                                r.rd_expense_yuan, r.total_assets_yuan, r.employees, r.tech_staff,
                                                r.ip_class1, r.ip_class2, r.source, r.source_row),
                                      ',' ORDER BY f.uscc, g.fiscal_year, r.revision_no))
                FROM filing_revision r JOIN filing g ON g.id = r.filing_id JOIN firm f ON f.id = g.firm_id)
               AS figures_md5
    """

    def args(self, workdir: Path) -> list[str]:
        return ["import", str(self.context.workbook), "--bureau", "jinghai", "--json"]

    def added(self, before: dict[str, Any], after: dict[str, Any]) -> int:
        return int(after["filing_revisions"] - before["filing_revisions"])

    def check_rerun(self, result: subprocess.CompletedProcess[str], committed: bool, added: int) -> list[str]:
        problems = super().check_rerun(result, committed, added)
        if problems:
            return problems
        status = json.loads(result.stdout)["run"]["status"]
        wanted = "duplicate" if committed else "committed"
        return [] if status == wanted else [f"the re-run's import run is {status}, not {wanted}"]


class EvaluateYear(Operation):
    name, title = "evaluate", "tidu evaluate --year Y-1 (every program; stores the decisions)"
    bookkeeping = frozenset({"audit_noop_runs"})

    @property
    def year(self) -> int:
        return self.context.year - 1  # the demo decided only its open year

    @property
    def committed_sql(self) -> str:  # type: ignore[override]
        return f"EXISTS (SELECT 1 FROM evaluation WHERE year = {self.year})"

    @property
    def state_sql(self) -> str:  # type: ignore[override]
        y = self.year
        return f"""
        SELECT (SELECT count(*) FROM evaluation WHERE year = {y}) AS decisions,
               (SELECT count(DISTINCT run_id) FROM evaluation WHERE year = {y}) AS runs,
               (SELECT count(*) FROM evaluation_latest WHERE year = {y}) AS latest,
               (SELECT count(*) FROM fact_snapshot WHERE year = {y}) AS snapshots,
               (SELECT count(*) FROM ruleset_version) AS rulesets,
               (SELECT count(*) FROM audit_log WHERE action = 'evaluation.run'
                  AND (after->>'evaluated')::int > 0) AS audit_runs,
               (SELECT count(*) FROM audit_log WHERE action = 'evaluation.run'
                  AND (after->>'evaluated')::int = 0) AS audit_noop_runs,
               (SELECT coalesce(sum(e.amount_yuan), 0) FROM evaluation_latest l
                  JOIN evaluation e ON e.id = l.evaluation_id
                  WHERE l.year = {y} AND l.outcome = 'eligible') AS eligible_amount,
               (SELECT md5(string_agg(concat_ws('|', f.uscc, e.program, e.version, e.outcome, e.failing,
                                                e.amount_yuan, e.score, e.provisional, e.inputs_hash,
                                                e.snapshot_hash, e.criteria::text, e.missing::text),
                                      ',' ORDER BY f.uscc, e.program))
                FROM evaluation_latest l JOIN evaluation e ON e.id = l.evaluation_id
                JOIN firm f ON f.id = l.firm_id WHERE l.year = {y}) AS decisions_md5
        """

    def args(self, workdir: Path) -> list[str]:
        return ["evaluate", "--year", str(self.year), "--json"]

    def added(self, before: dict[str, Any], after: dict[str, Any]) -> int:
        return int(after["decisions"] - before["decisions"])

    def check_rerun(self, result: subprocess.CompletedProcess[str], committed: bool, added: int) -> list[str]:
        problems = super().check_rerun(result, committed, added)
        if problems:
            return problems
        evaluated = json.loads(result.stdout)["evaluated"]
        wanted = 0 if committed else added
        return [] if evaluated == wanted else [f"the re-run decided {evaluated}, not {wanted}"]


class ComputeAwards(Operation):
    name, title = "awards", "tidu awards compute --year Y (every award program)"

    @property
    def committed_sql(self) -> str:  # type: ignore[override]
        return f"EXISTS (SELECT 1 FROM award WHERE year = {self.context.year})"

    @property
    def state_sql(self) -> str:  # type: ignore[override]
        y = self.context.year
        return f"""
        SELECT (SELECT count(*) FROM award WHERE year = {y}) AS awards,
               (SELECT count(*) FROM award WHERE year = {y} AND state = 'computed') AS computed,
               (SELECT coalesce(sum(amount_yuan), 0) FROM award WHERE year = {y}
                  AND state <> 'superseded') AS amount_yuan,
               (SELECT count(*) FROM award_event e JOIN award a ON a.id = e.award_id
                  WHERE a.year = {y}) AS events,
               (SELECT count(*) FROM audit_log WHERE action = 'award.compute') AS audit_computes,
               (SELECT md5(string_agg(concat_ws('|', f.uscc, a.program, a.amount_yuan, a.state, a.bureau_code,
                                                a.once_per_firm, a.ruleset_hash, a.reason),
                                      ',' ORDER BY f.uscc, a.program))
                FROM award a JOIN firm f ON f.id = a.firm_id WHERE a.year = {y}) AS awards_md5
        """

    def args(self, workdir: Path) -> list[str]:
        return ["awards", "compute", "--year", str(self.context.year), "--json"]

    async def prepare(self, url: str, workdir: Path) -> None:
        """The demo computed its open year's awards; take them back out: decided, not yet computed."""
        y = self.context.year
        conn = await connect(url)
        try:
            async with conn.transaction():
                await conn.execute(
                    f"DELETE FROM award_event WHERE award_id IN (SELECT id FROM award WHERE year = {y})"
                )
                await conn.execute(f"DELETE FROM award WHERE year = {y}")
        finally:
            await conn.close()

    def added(self, before: dict[str, Any], after: dict[str, Any]) -> int:
        return int(after["awards"] - before["awards"])

    def check_rerun(self, result: subprocess.CompletedProcess[str], committed: bool, added: int) -> list[str]:
        problems = super().check_rerun(result, committed, added)
        if problems:
            return problems
        created = json.loads(result.stdout)["created"]
        wanted = 0 if committed else added
        return [] if created == wanted else [f"the re-run created {created} awards, not {wanted}"]


OUTPUT = "拨付清单.xlsx"


class FinalDisbursement(Operation):
    name, title = "export", "tidu export disbursement --year Y --final -o FILE (marks its awards exported)"
    committed_sql = "EXISTS (SELECT 1 FROM export_run WHERE kind = 'disbursement' AND final)"

    @property
    def state_sql(self) -> str:  # type: ignore[override]
        y = self.context.year
        return f"""
        SELECT (SELECT count(*) FROM export_run WHERE kind = 'disbursement' AND final) AS final_runs,
               (SELECT string_agg(concat_ws('|', row_count, rows_sha256, totals->'sums'), ',' ORDER BY id)
                FROM export_run WHERE kind = 'disbursement' AND final) AS final_lists,
               (SELECT count(*) FROM award WHERE year = {y} AND state = 'approved') AS approved,
               (SELECT count(*) FROM award WHERE year = {y} AND state = 'exported') AS exported,
               (SELECT coalesce(sum(amount_yuan), 0) FROM award WHERE year = {y}
                  AND state = 'exported') AS exported_yuan,
               (SELECT count(*) FROM award_event WHERE to_state = 'exported') AS export_events,
               (SELECT count(*) FROM audit_log WHERE action = 'export') AS audit_exports,
               (SELECT count(*) FROM audit_log WHERE action = 'award.export') AS audit_award_exports
        """

    def target(self, workdir: Path) -> Path:
        return workdir / OUTPUT

    def args(self, workdir: Path) -> list[str]:
        return ["export", "disbursement", "-o", str(self.target(workdir)), "--year", str(self.context.year),
                "--final"]  # fmt: skip

    async def prepare(self, url: str, workdir: Path) -> None:
        """The open year's computed awards reviewed by the district and approved: ready for the list."""
        settings = Settings(database_url=url)
        engine = make_engine(url, settings, role="faults")
        actor = Actor.command_line("faults")
        try:
            async with transaction(make_session_factory(engine)) as session:
                found = await session.exec(
                    select(Award.id)
                    .where(Award.year == self.context.year, Award.state == AwardState.computed)
                    .order_by(col(Award.id))
                )
                ids = [int(i) for i in found if i is not None]
                await award_service.district_review(session, actor, ids)
                await award_service.approve(session, actor, ids)
        finally:
            await engine.dispose()

    def added(self, before: dict[str, Any], after: dict[str, Any]) -> int:
        return int(after["exported"] - before["exported"])

    def staged(self, workdir: Path) -> list[Path]:
        return sorted(workdir.glob(f".{OUTPUT}.*.part"))

    def check_killed(self, workdir: Path, committed: bool, files: Files) -> list[str]:
        """No file without its export_run; an export_run's file at the target, or staged to be published."""
        target = self.target(workdir)
        if not committed:
            return [f"{target.name} exists though no export was committed"] if target.exists() else []
        [(run_id, file_sha256, _)] = files.runs
        if target.exists():
            return (
                []
                if sha256_of(target) == file_sha256
                else [f"{target.name} is not the file of run #{run_id}"]
            )
        if any(sha256_of(part) == file_sha256 for part in self.staged(workdir)):
            return []  # committed, killed before the rename: the file waits under its staging name
        return [f"export run #{run_id} is committed but its file is nowhere"]

    def check_rerun(self, result: subprocess.CompletedProcess[str], committed: bool, added: int) -> list[str]:
        problems = super().check_rerun(result, committed, added)
        said = "早已导出" if committed else "已导出正式"  # the job done before, or done now
        return problems or (
            [] if said in result.stdout else [f"the re-run did not say {said}: {result.stdout}"]
        )

    def check_rerun_files(self, workdir: Path, files: Files) -> list[str]:
        """The target holds the list that marked the awards, byte for byte as recorded; nothing staged."""
        target = self.target(workdir)
        if self.staged(workdir):
            return [f"staging files left: {[p.name for p in self.staged(workdir)]}"]
        listing = [run for run in files.runs if run[2] > 0]
        if len(listing) != 1:
            return [f"{len(listing)} final lists name awards, not 1"]
        if not target.exists():
            return [f"{target.name} is missing after the re-run"]
        run_id, file_sha256, _ = listing[0]
        if sha256_of(target) != file_sha256:
            return [f"{target.name} is not the file of run #{run_id} that marked the awards"]
        return []


OPERATIONS: tuple[type[Operation], ...] = (ImportFilings, EvaluateYear, ComputeAwards, FinalDisbursement)


async def final_runs(conn: asyncpg.Connection) -> Files:
    rows = await conn.fetch(
        "SELECT id, file_sha256, row_count FROM export_run WHERE kind = 'disbursement' AND final ORDER BY id"
    )
    return Files([(int(r[0]), str(r[1]), int(r[2])) for r in rows])


HEADER = ["统一社会信用代码", "企业名称", "注册日期", "会计年度", "营业收入（万元）", "研发费用（万元）", "资产总额（万元）",
          "职工总数", "科技人员数", "I类知识产权数", "II类知识产权数"]  # fmt: skip


def write_workbook(path: Path, rows: int, fiscal_year: int) -> None:
    """A real .xlsx of ``rows`` new 静海区 firms (not in the demo registry), one filing each."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("申报表")
    sheet.write_row(0, 0, HEADER)
    for n in range(1, rows + 1):
        first17 = f"91120118{n:09d}"
        revenue = 200 + (n * 7919) % 5000  # 万元
        employees = 10 + n % 190
        registered = f"{2010 + n % 12}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        sheet.write_row(n, 0, [first17 + check_char(first17), f"天津中断测试{n}科技有限公司", registered])
        sheet.write_row(n, 3, [fiscal_year, revenue, round(revenue * 0.06, 2), revenue * 2, employees,
                               employees // 3, n % 3, n % 7])  # fmt: skip
    book.close()
