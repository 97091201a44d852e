"""Scheduled exports into ``outbox/<bureau>/``: this year's lists whose spec says ``scheduled``
(评价结果 and 拨付清单, a preview) nightly, and the daily 提醒 list. Each list is exported with that bureau's rights, in its own transaction;
its file is renamed into place only after that transaction committed (and by the next run, when
the process died in between)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from backend.core import clock
from backend.core.db import transaction
from backend.core.security import Actor
from backend.jobs.runner import JobContext
from backend.lists.files import Staged, export_to_file, finish_interrupted, stage
from backend.lists.kinds_targets_reminders import REMINDER_SUBJECTS
from backend.lists.params import ListParams
from backend.reference import service as reference_service
from vocabulary.lists import LISTS, LISTS_BY_KIND, ListKind, ListSpec

SCHEDULED = tuple(spec for spec in LISTS if spec.scheduled)
REMINDERS = LISTS_BY_KIND[ListKind.reminders]
SUBJECT_CODES = {word: code for code, word in REMINDER_SUBJECTS.items()}


def ensure_outbox(root: Path, code: str) -> Path:
    folder = root / code
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _bureau_codes(context: JobContext) -> list[str]:
    async with transaction(context.factory) as session:
        return [b.code for b in await reference_service.bureaus(session)]


async def export_for_bureau(
    context: JobContext, job: str, code: str, kind: ListSpec | str, params: ListParams
) -> tuple[int, list[str]]:
    """One list of one bureau into its outbox: (row count, snapshot keys)."""
    folder = await asyncio.to_thread(ensure_outbox, context.settings.outbox_dir, code)
    staged: list[Staged] = []
    try:
        async with transaction(context.factory) as session:
            files = await stage(folder)
            staged.append(files)
            await finish_interrupted(session, files, folder)  # what a run killed after its commit left
            exported, _ = await export_to_file(
                session, Actor.job(job, code), kind, params, "xlsx", folder, source="job", staged=files
            )
    except BaseException:
        for files in staged:
            await asyncio.to_thread(files.discard)
        raise
    await asyncio.to_thread(staged[0].publish)
    return exported.run.row_count, [str(row[0]) for row in exported.run.snapshot]


def _year(context: JobContext) -> int:
    return clock.utc_now().astimezone(ZoneInfo(context.settings.timezone)).year


async def scheduled_exports(context: JobContext) -> dict[str, Any]:
    year = _year(context)
    counts: dict[str, Any] = {"year": year, "bureaus": 0, "files": 0, "rows": 0}
    for code in await _bureau_codes(context):
        for spec in SCHEDULED:
            rows, _keys = await export_for_bureau(
                context, "scheduled_exports", code, spec, ListParams(year=year)
            )
            counts["files"] += 1
            counts["rows"] += rows
        counts["bureaus"] += 1
    return counts


async def certificate_reminders(context: JobContext) -> dict[str, Any]:
    counts: dict[str, Any] = {"bureaus": 0, "files": 0, "reminders": 0} | dict.fromkeys(REMINDER_SUBJECTS, 0)
    for code in await _bureau_codes(context):
        rows, keys = await export_for_bureau(context, "certificate_reminders", code, REMINDERS, ListParams())
        counts["bureaus"] += 1
        counts["files"] += 1
        counts["reminders"] += rows
        for key in keys:
            subject = SUBJECT_CODES.get(key.rsplit("/", 1)[-1])
            if subject is not None:
                counts[subject] += 1
    return counts
