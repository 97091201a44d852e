"""The inbox job: files a bureau drops into ``inbox/<bureau>/`` are imported and filed away.

Each file is imported in its own transaction with that bureau's rights (never another's). It is
moved only after its transaction committed: to ``done/`` when rows were imported (or the file
was already imported), else to ``failed/`` — with a short report and, when anything was wrong,
the annotated workbook beside it. A crash between commit and move leaves the file in the inbox;
the next run recognises it by its sha256, records a duplicate and files it: nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.db import transaction
from backend.core.errors import AppError
from backend.core.security import Actor
from backend.imports import service as import_service
from backend.imports.runs import Outcome, nothing_imported
from backend.imports.schemas import summary
from backend.jobs.runner import JobContext
from backend.models import ImportIssue
from backend.reference import service as reference_service
from importers.limits import Limits
from vocabulary.imports import ImportKind
from vocabulary.states import IMPORT_RUN_LABELS, ImportRunStatus

logger = logging.getLogger(__name__)
SETTLE_SECONDS = 10.0  # a file still being copied in is left for the next run
DONE, FAILED = "done", "failed"
ISSUES_IN_REPORT = 200


@dataclass
class Filed:
    """Where one file went and why."""

    path: Path
    verdict: str  # done | failed
    run_id: int | None
    summary: str


async def prepare_inboxes(context: JobContext) -> list[tuple[str, Path]]:
    """Every bureau's inbox folder (made if missing, so bureaus see where to drop files)."""
    async with transaction(context.factory) as session:
        codes = [b.code for b in await reference_service.bureaus(session)]
    return [(code, await asyncio.to_thread(ensure_inbox, context.settings.inbox_dir, code)) for code in codes]


async def import_inboxes(context: JobContext) -> dict[str, int]:
    """Every bureau's inbox once; the counts go on the job_run row."""
    counts = {"files": 0, DONE: 0, FAILED: 0}
    for code, folder in await prepare_inboxes(context):
        for path in await asyncio.to_thread(pending_files, folder, time.time()):
            filed = await import_one(context, code, path)
            counts["files"] += 1
            counts[filed.verdict] += 1
            logger.info("inbox %s: %s -> %s (%s)", code, path.name, filed.verdict, filed.summary)
    return counts


def ensure_inbox(root: Path, code: str) -> Path:
    folder = root / code
    for sub in (folder / DONE, folder / FAILED):
        sub.mkdir(parents=True, exist_ok=True)
    return folder


def pending_files(folder: Path, now: float, settle: float = SETTLE_SECONDS) -> list[Path]:
    """Regular files directly in ``folder``, oldest first; hidden, Office lock (~$) and fresh files wait."""
    found = []
    for entry in os.scandir(folder):
        if not entry.is_file(follow_symlinks=False) or entry.name.startswith((".", "~$")):
            continue
        stat = entry.stat(follow_symlinks=False)
        if now - stat.st_mtime >= settle:
            found.append((stat.st_mtime, entry.name, Path(entry.path)))
    return [path for _, _, path in sorted(found)]


async def import_one(context: JobContext, code: str, path: Path) -> Filed:
    limits = context.settings.import_limits()
    actor = Actor.job("inbox", code)
    size = (await asyncio.to_thread(path.stat)).st_size
    if size > limits.max_bytes:
        message = f"文件过大（{size / 1024 / 1024:.1f} MB，上限 {limits.max_bytes // 1024 // 1024} MB）：请拆分后重新放入"
        return await _file_away(context, path, FAILED, None, message, [], None)
    content = await asyncio.to_thread(path.read_bytes)
    try:
        async with transaction(context.factory) as session:
            outcome = await import_service.import_workbook(
                session, actor, kind=ImportKind.filings, content=content, file_name=path.name, bureau=code,
                commit=True, source="inbox",
                limits=limits,
            )  # fmt: skip
            issues, marked = await _issues_and_marked(session, actor, outcome, limits)
    except AppError as exc:  # the file as a whole was refused: nothing was written
        return await _file_away(context, path, FAILED, None, exc.detail, [], None)
    verdict = FAILED if nothing_imported(outcome) else DONE
    return await _file_away(context, path, verdict, outcome, _summary(outcome), issues, marked)


async def _issues_and_marked(
    session: AsyncSession, actor: Actor, outcome: Outcome, limits: Limits
) -> tuple[list[ImportIssue], bytes | None]:
    assert outcome.run.id is not None
    issues, _ = await import_service.run_issues(session, actor, outcome.run.id, limit=ISSUES_IN_REPORT)
    if not issues:
        return [], None
    try:
        _, marked = await import_service.annotated_workbook(session, actor, outcome.run.id, limits)
    except AppError:
        marked = None  # the report still lists every issue
    return list(issues), marked


def _summary(outcome: Outcome) -> str:
    return f"导入批次 #{outcome.run.id}：{summary(outcome.run)}"


async def _file_away(
    context: JobContext,
    path: Path,
    verdict: str,
    outcome: Outcome | None,
    text: str,
    issues: list[ImportIssue],
    marked: bytes | None,
) -> Filed:
    stamp = clock.utc_now().astimezone(ZoneInfo(context.settings.timezone)).strftime("%Y%m%d-%H%M%S")
    await asyncio.to_thread(_move_with_report, path, verdict, stamp, text, issues, marked)
    return Filed(path, verdict, outcome.run.id if outcome else None, text)


def _move_with_report(
    path: Path, verdict: str, stamp: str, text: str, issues: list[ImportIssue], marked: bytes | None
) -> None:
    target = path.parent / verdict / f"{stamp}-{path.name}"
    os.replace(path, target)
    report = [
        f"文件：{path.name}",
        f"处理时间：{stamp}",
        f"结果：{IMPORT_RUN_LABELS[ImportRunStatus.committed] if verdict == DONE else '未导入'}",
        text,
    ]
    if issues:
        report.append(f"问题（列出前 {ISSUES_IN_REPORT} 个；完整清单见标注工作簿的「错误清单」）：")
        for issue in issues:
            level = "错误" if issue.severity == "error" else "警告"
            where = (
                f"{issue.sheet or ''} 第 {issue.row} 行 {issue.column or ''} 列".strip()
                if issue.row
                else issue.sheet
            )
            value = f"「{issue.value}」" if issue.value else ""
            report.append(f"{level}  {where} {value}：{issue.message}")
    # UTF-8 with a BOM: Windows Notepad shows the Chinese correctly.
    Path(f"{target}.report.txt").write_text("\n".join(report) + "\n", encoding="utf-8-sig")
    if marked is not None:
        Path(f"{target.with_suffix('')}-错误标注.xlsx").write_bytes(marked)
