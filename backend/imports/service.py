"""Import a bureau's workbook: preview (dry run) or commit, all or nothing, never twice.

A run records the file (sha256, the bytes), every issue and the counts; committing writes the
valid rows in the request's one transaction: new firms, renames and new filing revisions, each
value pointing back to the run, the sheet and the row. A file already committed is recognised
by its sha256 and changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import pandas as pd
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Forbidden, Unprocessable
from backend.core.security import Actor
from backend.imports import registers
from backend.imports.plan import BureauInfo, NewRevision, Plan, plan_filings
from backend.imports.repository import FIGURES, ImportRepository
from backend.imports.runs import (
    ImportNotFound,
    ImportRefused,
    Outcome,
    Upload,
    audited,
    finish,
    may_import,
    may_see,
    record_duplicate,
    sorted_issues,
    store_run,
)
from backend.models import ImportIssue, ImportRun, Source
from backend.reference import service as reference_service
from importers.annotate import annotate
from importers.errors import ImportRejected
from importers.filings import BureauRef, ImportResult, Issue, Reference, parse_filings
from importers.limits import DEFAULT_LIMITS, Limits
from importers.template import blank_template
from importers.uscc import accepted_status
from vocabulary.imports import ImportKind
from vocabulary.states import Role

FIRM_COLUMNS = ("id", "uscc", "uscc_status", "name", "bureau_code", "district_code", "functional_zone", "registered_on",
                "revision_no", "created_at", "updated_at")  # fmt: skip
FIRM_REVISION_COLUMNS = ("firm_id", "revision_no", "name", "legal_form", "bureau_code", "district_code",
                         "functional_zone", "registered_on", "tech_field", "source", "import_run_id", "source_sheet",
                         "source_row", "created_by_id", "created_at")  # fmt: skip
FILING_COLUMNS = ("id", "firm_id", "fiscal_year", "current_revision_no", "created_at", "updated_at")
REVISION_COLUMNS = ("filing_id", "revision_no", *FIGURES, "source", "import_run_id", "source_sheet", "source_row",
                    "created_by_id", "created_at")  # fmt: skip


def target_bureau(actor: Actor, bureau: str | None) -> str:
    """The bureau a file is imported for: a bureau user's own; city and admin name one."""
    may_import(actor, ImportKind.filings)
    if actor.role is Role.bureau:
        if bureau not in (None, actor.bureau_code):
            raise Forbidden("区科技局只能导入本审查单位的数据")
        assert actor.bureau_code is not None
        return actor.bureau_code
    if not bureau:
        raise Unprocessable("bureau", None, "请指定导入数据所属的审查单位")
    return bureau


async def import_workbook(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: ImportKind = ImportKind.filings,
    content: bytes,
    file_name: str,
    bureau: str | None = None,
    fiscal_year: int | None = None,
    sheet: str | None = None,
    commit: bool = False,
    source: str = "upload",
    limits: Limits = DEFAULT_LIMITS,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Outcome:
    """Parse and check a workbook of ``kind``; store the run; with ``commit``, apply its valid rows.

    ``on_stage`` hears each step as it starts (读取工作簿, 核对登记库, 写入) for progress displays.
    """
    request = Upload(content, file_name[:255], fiscal_year, sheet, source, limits)
    if ImportKind(kind) is ImportKind.filings:
        return await import_filings(session, actor, request, bureau=bureau, commit=commit, on_stage=on_stage)
    return await registers.import_register(session, actor, kind, request, commit=commit)


async def import_filings(
    session: AsyncSession,
    actor: Actor,
    upload: Upload,
    *,
    bureau: str | None,
    commit: bool,
    on_stage: Callable[[str], None] = lambda stage: None,
) -> Outcome:
    started = time.perf_counter()
    code = target_bureau(actor, bureau)
    repo = ImportRepository(session)
    if commit:
        await repo.serialize_commits()
    info, names, reference = await _reference(repo, code)
    earlier = await repo.committed_with(upload.sha256, ImportKind.filings)
    if earlier is not None:
        return await record_duplicate(session, actor, earlier, upload, code)
    on_stage("读取工作簿")
    result = await _parse(upload, reference)
    on_stage("核对登记库")
    plan = await _plan(repo, result, info, names, lock=commit)
    run = ImportRun(
        kind=ImportKind.filings, file_name=upload.file_name, file_kind=result.file_kind, file_size=len(upload.content),
        sha256=upload.sha256, bureau_code=code, created_by_id=actor.user_id, actor_label=actor.label,
        source=upload.source, status="dry_run", fiscal_year=upload.fiscal_year, sheet=result.sheet,
        header_row=result.header_row, counts=plan.counts(result),
    )  # fmt: skip
    await store_run(repo, run, upload.content, [*result.issues, *plan.issues])
    assert run.id is not None
    if commit:
        on_stage("写入")
        await _apply(session, actor, repo, run, result, plan, info)
    else:
        await audit.record(session, actor, "import.preview", "import_run", run.id, after=audited(run))
    return await finish(session, run, started)


async def commit_run(
    session: AsyncSession, actor: Actor, run_id: int, limits: Limits = DEFAULT_LIMITS
) -> Outcome:
    """Commit a previewed run: the stored file is read and checked again against today's registry."""
    repo = ImportRepository(session)
    await repo.serialize_commits()
    run = await repo.lock(run_id)
    if run is None or not may_see(actor, run):
        raise ImportNotFound(run_id)
    if run.status == "committed":
        raise Conflict(f"导入批次 #{run_id} 已提交，不能重复提交", run_id=run_id)
    if run.status == "duplicate":
        raise Conflict(f"导入批次 #{run_id} 的文件已由批次 #{run.duplicate_of_id} 导入", run_id=run_id)
    earlier = await repo.committed_with(run.sha256, run.kind)
    if earlier is not None:
        raise Conflict(f"同一文件已由导入批次 #{earlier.id} 提交", run_id=earlier.id)
    content = await repo.file(run_id)
    assert content is not None
    assert run.id is not None
    upload = Upload(content, run.file_name, run.fiscal_year, run.sheet, run.source, limits)
    started = time.perf_counter()
    if run.kind != ImportKind.filings:
        return await registers.commit_register(session, actor, run, upload)
    assert run.bureau_code is not None
    target_bureau(actor, run.bureau_code)
    info, names, reference = await _reference(repo, run.bureau_code)
    result = await _parse(upload, reference)
    plan = await _plan(repo, result, info, names, lock=True)
    await repo.drop_issues(run.id)
    await repo.store_issues(run.id, sorted_issues([*result.issues, *plan.issues]))
    run.counts = plan.counts(result)
    await _apply(session, actor, repo, run, result, plan, info)
    return await finish(session, run, started)


async def get_run(session: AsyncSession, actor: Actor, run_id: int) -> ImportRun:
    run = await ImportRepository(session).get(run_id)
    if run is None or not may_see(actor, run):
        raise ImportNotFound(run_id)
    return run


async def run_issues(
    session: AsyncSession, actor: Actor, run_id: int, *, offset: int = 0, limit: int | None = None
) -> tuple[Sequence[ImportIssue], int]:
    await get_run(session, actor, run_id)
    repo = ImportRepository(session)
    return await repo.issues(run_id, offset=offset, limit=limit), await repo.count_issues(run_id)


async def annotated_workbook(
    session: AsyncSession, actor: Actor, run_id: int, limits: Limits = DEFAULT_LIMITS
) -> tuple[str, bytes]:
    """The run's own file with its issues marked: (download name, .xlsx bytes)."""
    run = await get_run(session, actor, run_id)
    repo = ImportRepository(session)
    content = await repo.file(run_id)
    if content is None:
        raise ImportNotFound(run_id)
    issues = [
        Issue(i.severity, i.sheet or "", i.row, i.column, i.header, i.value, i.message, i.field)
        for i in await repo.issues(run_id)
    ]
    try:
        marked = await asyncio.to_thread(annotate, content, issues, limits=limits)
    except ImportRejected as rejected:
        raise ImportRefused(rejected) from None
    return f"{PurePath(run.file_name).stem}-错误标注.xlsx", marked


async def filing_template(session: AsyncSession, fiscal_year: int | None = None) -> bytes:
    """The blank filing workbook bureaus hand out, with today's bureaus in its 审查单位 dropdown."""
    bureaus = [(b.code, b.name) for b in await reference_service.bureaus(session)]
    return await asyncio.to_thread(blank_template, bureaus, fiscal_year)


async def list_runs(
    session: AsyncSession, actor: Actor, *, offset: int, limit: int
) -> tuple[Sequence[ImportRun], int]:
    if actor.role in (Role.city, Role.admin):
        return await ImportRepository(session).runs(None, offset=offset, limit=limit)
    if actor.role is Role.bureau:
        return await ImportRepository(session).runs(actor.bureau_code, offset=offset, limit=limit)
    raise Forbidden("当前角色无权查看导入记录")


# -- steps --------------------------------------------------------------------------------------------


async def _reference(repo: ImportRepository, code: str) -> tuple[BureauInfo, dict[str, str], Reference]:
    bureaus, districts, zones = await repo.reference()
    district_names = {d.code: d.name for d in districts}
    target = next((b for b in bureaus if b.code == code), None)
    if target is None:
        raise Unprocessable("bureau", code, f"审查单位“{code}”不存在")
    info = BureauInfo(
        code,
        target.name,
        target.district_code,
        frozenset(z.code for z in zones if z.review_bureau_code == code),
    )
    reference = Reference(
        bureaus=tuple(
            BureauRef(b.code, b.name, b.district_code, district_names[b.district_code], b.kind)
            for b in bureaus
        ),
        zones={z.code: z.name for z in zones},
        districts=district_names,
    )
    return info, {b.code: b.name for b in bureaus}, reference


async def _parse(upload: Upload, reference: Reference) -> ImportResult:
    try:
        return await asyncio.to_thread(parse_filings, upload.content, reference, fiscal_year=upload.fiscal_year,
                                       sheet=upload.sheet, limits=upload.limits)  # fmt: skip
    except ImportRejected as rejected:
        raise ImportRefused(rejected) from None


async def _plan(
    repo: ImportRepository, result: ImportResult, info: BureauInfo, names: dict[str, str], *, lock: bool
) -> Plan:
    usccs = sorted({f.uscc for f in result.firms})
    firms = await repo.firms(usccs)
    years = sorted({r.fiscal_year for r in result.rows})
    current = await repo.current_filings([int(i) for i in firms["firm_id"]], years, lock=lock)
    ip = pd.concat(
        [(await repo.ip_counts(usccs, date(year, 12, 31))).assign(fiscal_year=year) for year in years]
        or [pd.DataFrame(columns=["uscc", "ip1", "ip2", "fiscal_year"])],
        ignore_index=True,
    )
    registrations = await repo.registrations(usccs)
    return await asyncio.to_thread(plan_filings, result, info, names, firms, current, ip, registrations)


async def _apply(
    session: AsyncSession, actor: Actor, repo: ImportRepository, run: ImportRun, result: ImportResult, plan: Plan,
    info: BureauInfo,
) -> None:  # fmt: skip
    """Write the plan: new firms, renames, new filing revisions — COPY, set-based, one transaction.

    Ids of new rows are drawn from their sequences up front, so nothing is read back after a COPY.
    """
    assert run.id is not None
    now = clock.utc_now()
    origin = (Source.import_.value, run.id, result.sheet)
    ids = dict(plan.firm_ids)
    ids.update(
        zip(
            (f.uscc for f in plan.new_firms),
            await repo.allocate_ids("firm", len(plan.new_firms)),
            strict=True,
        )
    )
    renamed = await _rename(repo, plan, origin, actor, now) if plan.renames else []
    new_filings = [r for r in plan.revisions if r.filing_id is None]
    filing_ids = await repo.allocate_ids("filing", len(new_filings))
    records = _Records(plan, info, ids, origin, actor.user_id, now)
    await _copy_in_order(repo, [
        ("firm", FIRM_COLUMNS, records.firms),
        ("firm_revision", FIRM_REVISION_COLUMNS, lambda: records.firm_revisions(renamed)),
        ("filing", FILING_COLUMNS, lambda: records.filings(new_filings, filing_ids)),
        ("filing_revision", REVISION_COLUMNS, lambda: records.filing_revisions(new_filings, filing_ids)),
    ])  # fmt: skip
    moved = [r for r in plan.revisions if r.filing_id is not None]
    if moved:
        await repo.advance_filings(
            [r.filing_id for r in moved if r.filing_id], [r.revision_no for r in moved], now
        )
    run.status, run.committed_at = "committed", now
    await audit.record(session, actor, "import.commit", "import_run", run.id, after=audited(run))


async def _copy_in_order(
    repo: ImportRepository, tables: list[tuple[str, Sequence[str], Callable[[], list[tuple[Any, ...]]]]]
) -> None:
    """COPY each table's records in order; the next table's are built meanwhile, beside the server's work.

    The server checks keys and fills indexes of one table while a worker thread builds the tuples of
    the next, so the two CPUs of a small machine overlap instead of taking turns.
    """
    loop = asyncio.get_running_loop()
    builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-records")
    try:
        pending = deque(
            (table, columns, loop.run_in_executor(builder, build)) for table, columns, build in tables
        )
        while pending:  # each table's records are let go once stored
            table, columns, records = pending.popleft()
            await repo.copy(table, columns, await records)
    finally:  # a failed COPY must not keep the event loop waiting for records nobody will send
        builder.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class _Records:
    """The rows a plan adds, as tuples in the column order of each table's COPY."""

    plan: Plan
    info: BureauInfo
    ids: dict[str, int]  # credit code -> firm id, new firms included
    origin: tuple[str, int, str]  # source, import run, sheet
    user_id: int | None
    now: datetime

    def firms(self) -> list[tuple[Any, ...]]:
        info, now = self.info, self.now
        return [
            (self.ids[f.uscc], f.uscc, accepted_status(f.uscc).value, f.identity["name"], info.code,
             info.district_code, f.identity.get("zone"), f.identity["registered_on"], 1, now, now)
            for f in self.plan.new_firms
        ]  # fmt: skip

    def firm_revisions(self, renamed: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        info, origin = self.info, self.origin
        return [
            (self.ids[f.uscc], 1, f.identity["name"], None, info.code, info.district_code, f.identity.get("zone"),
             f.identity["registered_on"], None, *origin, f.row, self.user_id, self.now)
            for f in self.plan.new_firms
        ] + renamed  # fmt: skip

    def filings(self, new: list[NewRevision], filing_ids: list[int]) -> list[tuple[Any, ...]]:
        """New filings start at revision 1."""
        now = self.now
        return [
            (i, self.ids[r.uscc], r.fiscal_year, 1, now, now) for i, r in zip(filing_ids, new, strict=True)
        ]

    def filing_revisions(self, new: list[NewRevision], filing_ids: list[int]) -> list[tuple[Any, ...]]:
        """Existing filings get their next revision; ``advance_filings`` then moves them to it."""
        filing_of = {id(r): i for i, r in zip(filing_ids, new, strict=True)}
        origin, user_id, now = self.origin, self.user_id, self.now
        return [
            (revision.filing_id or filing_of[id(revision)], revision.revision_no,
             *map(revision.figures.get, FIGURES), *origin, revision.row, user_id, now)
            for revision in self.plan.revisions
        ]  # fmt: skip


async def _rename(
    repo: ImportRepository, plan: Plan, origin: tuple[str, int, str], actor: Actor, now: datetime
) -> list[tuple[Any, ...]]:
    """New names in place; each renamed firm's next revision, carrying the rest of its identity."""
    rows = {firm_id: row for firm_id, _, row in plan.renames}
    renamed = await repo.rename_firms(list(rows), [row.identity["name"] for row in rows.values()], now)
    return [
        (firm["id"], firm["revision_no"], firm["name"], firm["legal_form"], firm["bureau_code"], firm["district_code"],
         firm["functional_zone"], firm["registered_on"], firm["tech_field"], *origin, rows[firm["id"]].row,
         actor.user_id, now)
        for firm in renamed
    ]  # fmt: skip
