"""The inbox job on a real database and real folders: import, file away with a report, never twice."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.core.db import SessionFactory
from backend.jobs.inbox import import_inboxes, pending_files
from backend.jobs.runner import JobContext, latest_fire_time, run_claimed
from backend.models import Firm, ImportRun, JobRun
from tests.factories.firms import make_firm, new_uscc
from tests.importers import hostile as h
from tests.importers import workbooks as wb

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRE = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
HEADER = ["统一社会信用代码", "企业名称", "注册日期", "会计年度", "营业收入（万元）"]


@pytest.fixture
def context(db: SessionFactory, database_url: str, tmp_path: Path) -> JobContext:
    return JobContext(db, Settings(database_url=database_url, data_dir=tmp_path), worker="test:1")


def drop(context: JobContext, bureau: str, name: str, content: bytes, *, age: float = 60) -> Path:
    folder = context.settings.inbox_dir / bureau
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def filing(*rows: list[Any]) -> bytes:
    return wb.xlsx_rows([HEADER, *rows])


async def test_a_dropped_workbook_is_imported_and_filed_with_its_report(
    context: JobContext, session: AsyncSession
) -> None:
    good, bad = new_uscc(), new_uscc()
    drop(context, "jinghai", "三月申报.xlsx", filing([good, "天津收件箱甲有限公司", "2021-01-01", 2024, 300],
                                                   [bad, "天津收件箱乙有限公司", "2021-01-01", 2024, "abc"]))  # fmt: skip
    run_id = await run_claimed(context, "inbox", FIRE, import_inboxes)
    assert run_id is not None

    done = context.settings.inbox_dir / "jinghai" / "done"
    names = sorted(p.name for p in done.iterdir())
    assert len(names) == 3
    moved, marked, report = (
        next(n for n in names if n.endswith(end)) for end in ("申报.xlsx", "错误标注.xlsx", ".txt")
    )
    assert moved.endswith("-三月申报.xlsx")
    assert not (context.settings.inbox_dir / "jinghai" / "三月申报.xlsx").exists()
    text = (done / report).read_text(encoding="utf-8-sig")
    assert "结果：已导入" in text
    assert (
        "错误  Sheet1 第 3 行 E 列 「abc」：“abc”不是数字" in text
        or "第 3 行 E 列 「abc」：“abc”不是数字" in text
    )
    book = openpyxl.load_workbook(done / marked)
    assert "错误清单" in book.sheetnames

    job = await session.get(JobRun, run_id)
    assert job is not None
    assert (job.status, job.counts) == ("succeeded", {"files": 1, "done": 1, "failed": 0})
    imported = (await session.exec(select(ImportRun).where(ImportRun.source == "inbox"))).all()
    assert [(r.status, r.bureau_code, r.actor_label) for r in imported] == [
        ("committed", "jinghai", "job:inbox:jinghai")
    ]
    firms = (await session.exec(select(Firm.uscc).where(col(Firm.uscc).in_([good, bad])))).all()
    assert list(firms) == [good]


async def test_the_same_file_dropped_again_is_filed_as_done_and_imported_once(
    context: JobContext, session: AsyncSession
) -> None:
    content = filing([new_uscc(), "天津收件箱丙有限公司", "2021-01-01", 2024, 300])
    drop(context, "jinghai", "a.xlsx", content)
    await run_claimed(context, "inbox", FIRE, import_inboxes)
    drop(context, "jinghai", "a-again.xlsx", content)
    await run_claimed(context, "inbox", FIRE + timedelta(minutes=1), import_inboxes)
    statuses = (
        await session.exec(
            select(ImportRun.status).where(ImportRun.source == "inbox").order_by(col(ImportRun.id))
        )
    ).all()
    assert list(statuses) == ["committed", "duplicate"]
    report = next((context.settings.inbox_dir / "jinghai" / "done").glob("*a-again.xlsx.report.txt"))
    assert "完全相同，未做任何更改" in report.read_text(encoding="utf-8-sig")


async def test_a_refused_file_goes_to_failed_with_the_reason(
    context: JobContext, session: AsyncSession
) -> None:
    drop(context, "heping", "photo.xlsx", wb.png_image())
    await run_claimed(context, "inbox", FIRE, import_inboxes)
    failed = context.settings.inbox_dir / "heping" / "failed"
    report = next(failed.glob("*photo.xlsx.report.txt"))
    assert "不是电子表格文件：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件" in report.read_text(
        encoding="utf-8-sig"
    )
    assert not (await session.exec(select(ImportRun).where(ImportRun.source == "inbox"))).all()


async def test_a_zip_that_lies_about_its_size_goes_to_failed_and_writes_nothing(
    context: JobContext, session: AsyncSession
) -> None:
    drop(context, "jinghai", "申报.xlsx", h.lying_xlsx(64))
    await run_claimed(context, "inbox", FIRE, import_inboxes)
    failed = context.settings.inbox_dir / "jinghai" / "failed"
    report = next(failed.glob("*申报.xlsx.report.txt")).read_text(encoding="utf-8-sig")
    assert (
        "工作簿内部文件 xl/worksheets/sheet1.xml 解压后超过文件中记录的大小（1 KB），疑似压缩炸弹" in report
    )
    assert not (await session.exec(select(ImportRun).where(ImportRun.source == "inbox"))).all()


async def test_an_inbox_acts_with_its_own_bureaus_rights_only(
    context: JobContext, session: AsyncSession
) -> None:
    theirs = await make_firm(session, "jinghai")
    drop(context, "heping", "b.xlsx", filing([theirs.uscc, theirs.name, "2019-03-05", 2024, 300]))
    await run_claimed(context, "inbox", FIRE, import_inboxes)
    failed = context.settings.inbox_dir / "heping" / "failed"
    text = next(failed.glob("*b.xlsx.report.txt")).read_text(encoding="utf-8-sig")
    assert "该企业不在和平区科技局的审查范围内，本行未导入" in text


def test_files_still_arriving_wait_for_the_next_run(tmp_path: Path) -> None:
    (tmp_path / "done").mkdir()
    old, fresh, hidden, lock = (tmp_path / n for n in ("old.xlsx", "fresh.xlsx", ".partial", "~$old.xlsx"))
    for path in (old, fresh, hidden, lock):
        path.write_bytes(b"x")
    os.utime(old, (time.time() - 60, time.time() - 60))
    for path in (hidden, lock):
        os.utime(path, (time.time() - 60, time.time() - 60))
    assert pending_files(tmp_path, time.time()) == [old]


async def test_a_fire_time_is_claimed_once(context: JobContext, session: AsyncSession) -> None:
    calls: list[str] = []

    async def work(ctx: JobContext) -> dict[str, Any]:
        calls.append(ctx.worker)
        return {"n": 1}

    first = await run_claimed(context, "probe", FIRE, work)
    other = JobContext(context.factory, context.settings, worker="test:2")
    second = await run_claimed(other, "probe", FIRE, work)
    assert (first is not None, second) == (True, None)
    assert calls == ["test:1"]


async def test_a_failing_job_is_recorded_and_an_empty_one_is_idle(
    context: JobContext, session: AsyncSession
) -> None:
    async def broken(ctx: JobContext) -> dict[str, Any]:
        raise RuntimeError("disk full")

    failed = await run_claimed(context, "probe", FIRE, broken)
    idle = await run_claimed(context, "inbox", FIRE, import_inboxes)
    rows = {r.id: r for r in (await session.exec(select(JobRun))).all()}
    assert failed is not None
    assert idle is not None
    assert (rows[failed].status, rows[failed].error) == ("failed", "RuntimeError: disk full")
    assert rows[idle].status == "idle"


def test_fire_times_agree_across_processes() -> None:
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    every_minute = IntervalTrigger(seconds=60, start_date=start, timezone=SHANGHAI)
    late = datetime(2026, 11, 22, 10, 0, 42, 500, tzinfo=SHANGHAI)
    assert latest_fire_time(every_minute, late) == datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
    nightly = CronTrigger(hour=2, minute=0, timezone=SHANGHAI)
    assert latest_fire_time(nightly, late) == datetime(2026, 11, 22, 2, 0, tzinfo=SHANGHAI)
    assert latest_fire_time(nightly, late.astimezone(UTC)) == datetime(2026, 11, 22, 2, 0, tzinfo=SHANGHAI)
