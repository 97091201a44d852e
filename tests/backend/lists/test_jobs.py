"""The two export jobs on a real database and real folders: outbox files, export_run and job_run rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit_service
from backend.core import clock
from backend.core.config import Settings
from backend.core.db import SessionFactory, transaction
from backend.core.security import Actor
from backend.jobs import exports as export_jobs
from backend.jobs import tasks
from backend.jobs.runner import JobContext, run_claimed
from backend.lists.files import export_to_file
from backend.lists.params import ListParams
from backend.models import Certificate, ExportRun, JobRun
from tests.backend.lists.helpers import make_award
from tests.factories.firms import make_firm
from vocabulary.lists import ListKind

FIRE = datetime(2026, 12, 3, 3, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def context(db: SessionFactory, database_url: str, tmp_path: Path) -> JobContext:
    return JobContext(db, Settings(database_url=database_url, data_dir=tmp_path), worker="test:1")


def outbox_files(context: JobContext, bureau: str) -> list[Path]:
    folder = context.settings.outbox_dir / bureau
    return sorted(folder.iterdir()) if folder.exists() else []


def test_both_jobs_are_scheduled_daily_with_labels() -> None:
    specs = {spec.id: spec for spec in tasks.job_specs(Settings())}
    assert {"scheduled_exports", "certificate_reminders"} <= set(specs)
    assert tasks.JOB_LABELS["scheduled_exports"] == "定时导出清单"
    assert set(tasks.WORK) >= {"scheduled_exports", "certificate_reminders"}
    assert Settings(data_dir=Path("/srv/tidu")).outbox_dir == Path("/srv/tidu/outbox")


async def test_scheduled_exports_write_each_bureaus_lists_into_its_outbox(
    context: JobContext, session: AsyncSession
) -> None:
    year = clock.utc_now().astimezone(ZoneInfo("Asia/Shanghai")).year
    await make_award(session, await make_firm(session, "jinghai"), 50_000, year=year)
    await make_award(session, await make_firm(session, "heping"), 70_000, year=year)
    await session.commit()
    run_id = await run_claimed(context, "scheduled_exports", FIRE, export_jobs.scheduled_exports)
    job = await session.get(JobRun, run_id)
    assert job is not None
    assert job.status == "succeeded", job.error
    assert job.counts["bureaus"] == 19
    assert job.counts["files"] == 38
    assert job.counts["rows"] >= 2
    files = outbox_files(context, "jinghai")
    assert len(files) == 2
    assert not [f for f in files if f.name.startswith(".")]
    disbursement = next(f for f in files if "拨付清单" in f.name)
    sheet = openpyxl.load_workbook(disbursement).worksheets[0]
    amounts = [row[6] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert amounts == [50_000]
    runs = (await session.exec(select(ExportRun).where(ExportRun.source == "job"))).all()
    assert len(runs) == 38
    assert {r.file_name for r in runs if "bureau=jinghai" in r.scope_key} == {f.name for f in files}
    assert {r.actor_label for r in runs if "bureau=heping" in r.scope_key} == {"job:scheduled_exports:heping"}


async def test_certificate_reminders_record_their_counts(context: JobContext, session: AsyncSession) -> None:
    firm = await make_firm(session, "jinghai")
    assert firm.id is not None
    today = clock.today()
    session.add(Certificate(firm_id=firm.id, kind="hte", number="GR-JOB-1", issued_on=today.replace(year=today.year - 2),
                            expires_on=today.replace(day=1) if today.day > 1 else today, source="test"))  # fmt: skip
    session.add(Certificate(firm_id=firm.id, kind="tech_sme", number="2025-JOB-1",
                            issued_on=today.replace(year=today.year - 1, month=1, day=1), source="test"))  # fmt: skip
    await session.commit()
    run_id = await run_claimed(context, "certificate_reminders", FIRE, export_jobs.certificate_reminders)
    job = await session.get(JobRun, run_id)
    assert job is not None
    assert job.status == "succeeded", job.error
    assert job.counts["files"] == 19
    assert job.counts["tech_sme"] == 1
    assert job.counts["reminders"] == job.counts["hte_expiring"] + job.counts["annual_filing"] + 1
    (file,) = outbox_files(context, "jinghai")
    assert "提醒" in file.name


async def test_a_crash_mid_job_leaves_no_file_and_no_run_for_the_failed_list(
    context: JobContext, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit_service.record

    async def crash_for_heping(*args: Any, **kwargs: Any) -> Any:
        if "heping" in str(args[1].label):
            raise RuntimeError("磁盘已满（模拟）")
        return await real(*args, **kwargs)

    monkeypatch.setattr(audit_service, "record", crash_for_heping)
    run_id = await run_claimed(context, "scheduled_exports", FIRE, export_jobs.scheduled_exports)
    job = await session.get(JobRun, run_id)
    assert job is not None
    assert job.status == "failed"
    assert "磁盘已满" in (job.error or "")
    assert outbox_files(context, "heping") == []  # the temp file was removed, nothing renamed in
    runs = (
        await session.exec(select(ExportRun).where(col(ExportRun.scope_key).contains("bureau=heping")))
    ).all()
    assert runs == []
    # every committed run has its file and every file its run; no temporary file is left behind
    files = {p.name for p in context.settings.outbox_dir.rglob("*") if p.is_file()}
    committed = (await session.exec(select(ExportRun).where(ExportRun.source == "job"))).all()
    assert files == {r.file_name for r in committed}


async def test_a_list_committed_but_never_renamed_is_put_in_place_by_the_next_run(
    context: JobContext, session: AsyncSession
) -> None:
    """What a scheduler killed between its commit and the rename leaves: the next run finishes it."""
    year = clock.utc_now().astimezone(ZoneInfo("Asia/Shanghai")).year
    await make_award(session, await make_firm(session, "jinghai"), 50_000, year=year)
    await session.commit()
    folder = export_jobs.ensure_outbox(context.settings.outbox_dir, "jinghai")
    params, actor = ListParams(year=year), Actor.job("scheduled_exports", "jinghai")
    async with transaction(context.factory) as attempt:
        killed, files = await export_to_file(attempt, actor, ListKind.disbursement, params, "xlsx", folder,
                                             source="job")  # fmt: skip
    files.release()  # the process died here: committed, never renamed
    [(left, _final)] = files.moves
    assert [p.name for p in outbox_files(context, "jinghai")] == [left.name]

    rows, _ = await export_jobs.export_for_bureau(context, "scheduled_exports", "jinghai", ListKind.disbursement,
                                                  params)  # fmt: skip

    assert rows == 1
    names = [p.name for p in outbox_files(context, "jinghai")]
    assert killed.run.file_name in names
    assert not [name for name in names if name.endswith(".part")]
    runs = (
        await session.exec(select(ExportRun).where(col(ExportRun.scope_key).contains("bureau=jinghai")))
    ).all()
    assert {r.file_name for r in runs} == set(names)
