"""The linked registers (企业登记信息库, 知识产权数据库) imported like filings: preview, commit, never twice.

City staff import the registers' exports; each record is upserted by its key (credit code, IP
number), a blank cell keeping what the register already held. The rule facts read them
(rules.derive): integrity flags and valid IP counts, and filing imports cross-check against them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.security import Actor
from backend.imports.repository import ImportRepository
from backend.imports.runs import (
    ImportRefused,
    Outcome,
    Upload,
    audited,
    finish,
    may_import,
    record_duplicate,
    sorted_issues,
    store_run,
)
from backend.models import ImportRun
from importers.errors import ImportRejected
from importers.registers import BusinessRow, IpRow, RegisterResult, parse_ip_records, parse_registrations
from vocabulary.imports import ImportKind

PARSERS = {ImportKind.registration: parse_registrations, ImportKind.ip: parse_ip_records}


async def import_register(
    session: AsyncSession, actor: Actor, kind: ImportKind, upload: Upload, *, commit: bool
) -> Outcome:
    may_import(actor, kind)
    started = time.perf_counter()
    repo = ImportRepository(session)
    if commit:
        await repo.serialize_commits()
    earlier = await repo.committed_with(upload.sha256, kind)
    if earlier is not None:
        return await record_duplicate(session, actor, earlier, upload, None)
    result = await _parse(kind, upload)
    run = ImportRun(
        kind=kind, file_name=upload.file_name, file_kind=result.file_kind, file_size=len(upload.content),
        sha256=upload.sha256, created_by_id=actor.user_id, actor_label=actor.label, source=upload.source,
        status="dry_run", sheet=result.sheet, header_row=result.header_row, counts=_counts(result),
    )  # fmt: skip
    await store_run(repo, run, upload.content, result.issues)
    assert run.id is not None
    if commit:
        await _apply(session, actor, repo, run, result)
    else:
        await audit.record(session, actor, "import.preview", "import_run", run.id, after=audited(run))
    return await finish(session, run, started)


async def commit_register(session: AsyncSession, actor: Actor, run: ImportRun, upload: Upload) -> Outcome:
    """Commit a previewed register run (its file read again)."""
    may_import(actor, run.kind)
    assert run.id is not None
    started = time.perf_counter()
    repo = ImportRepository(session)
    result = await _parse(run.kind, upload)
    await repo.drop_issues(run.id)
    await repo.store_issues(run.id, sorted_issues(result.issues))
    run.counts = _counts(result)
    await _apply(session, actor, repo, run, result)
    return await finish(session, run, started)


async def _parse(kind: str, upload: Upload) -> RegisterResult:
    try:
        return await asyncio.to_thread(
            PARSERS[ImportKind(kind)], upload.content, sheet=upload.sheet, limits=upload.limits
        )
    except ImportRejected as rejected:
        raise ImportRefused(rejected) from None


def _counts(result: RegisterResult) -> dict[str, Any]:
    valid = result.valid_records()
    return {
        "rows_read": result.rows_read,
        "rows_skipped": result.rows_skipped,
        "records": len(valid),
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "error_rows": len({i.row for i in result.errors if i.row is not None}),
    }


async def _apply(
    session: AsyncSession, actor: Actor, repo: ImportRepository, run: ImportRun, result: RegisterResult
) -> None:
    assert run.id is not None
    now = clock.utc_now()
    valid = result.valid_records()
    if run.kind == ImportKind.registration:
        await repo.upsert_business([
            (r.uscc, r.name, r.status, r.registered_on, r.abnormal_operation, r.serious_violation, run.id, r.row, now)
            for r in valid if isinstance(r, BusinessRow)
        ])  # fmt: skip
    else:
        await repo.upsert_ip([
            (r.number, r.ip_type, r.ip_class, r.owner_uscc, r.valid_from, r.valid_to, run.id, r.row, now)
            for r in valid if isinstance(r, IpRow)
        ])  # fmt: skip
    run.status, run.committed_at = "committed", now
    await audit.record(session, actor, "import.commit", "import_run", run.id, after=audited(run))
