"""Evaluate the registry (stored, immutable decisions), a firm's status, and what-ifs (not stored)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Forbidden
from backend.core.security import Actor
from backend.evaluations.errors import RuleInputInvalid
from backend.evaluations.facts import load_raw
from backend.evaluations.records import EVALUATION_COLUMNS, build_records
from backend.evaluations.repository import EvaluationRepository, FactsRepository
from backend.evaluations.schemas import RunSummaryRead
from backend.rulesets import service as rulesets
from rules.errors import RuleError
from rules.run import select
from vocabulary.states import Role

CHUNK = 20_000  # firms per chunk: memory stays flat in the registry's size
PROGRAM = EVALUATION_COLUMNS.index("program")


def default_evaluation_date(year: int) -> date:
    """Today for the current year, 12-31 for a past one, 01-01 for a future one."""
    today = clock.today()
    return min(max(today, date(year, 1, 1)), date(year, 12, 31))


def _require_evaluator(actor: Actor, bureau: str | None) -> str | None:
    """City and admin evaluate anything; a bureau only its own firms. Returns the bureau scope."""
    if actor.role in (Role.city, Role.admin):
        return bureau
    if actor.role is Role.bureau:
        if bureau not in (None, actor.bureau_code):
            raise Forbidden("区科技局只能评价本审查单位的企业")
        return actor.bureau_code
    raise Forbidden("当前角色无权运行评价")


def _chunks(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def evaluate_year(
    session: AsyncSession,
    actor: Actor,
    *,
    year: int,
    programs: Sequence[str] | None = None,
    bureau: str | None = None,
    evaluation_date: date | None = None,
    chunk_size: int = CHUNK,
    on_progress: Callable[[int, int], None] | None = None,
) -> RunSummaryRead:
    """Evaluate every firm in scope for ``year``; store only decisions that differ from the latest."""
    started = time.perf_counter()
    bureau = _require_evaluator(actor, bureau)
    registry = rulesets.registry()
    day = evaluation_date or default_evaluation_date(year)
    try:
        selection = select(registry, programs, day)
    except RuleError as exc:
        raise RuleInputInvalid.from_rule_error("program", exc) from None
    repo = EvaluationRepository(session)
    await repo.store_rulesets(
        [(r.content_hash, r.program, r.version, json.dumps(r.document.model_dump(mode="json", by_alias=True), ensure_ascii=False))
         for r in selection.rulesets]
    )  # fmt: skip
    ids = await FactsRepository(session).firm_ids(bureau)
    run_id, created_at = str(uuid.uuid4()), clock.utc_now()
    summary = RunSummaryRead(
        run_id=run_id, year=year, evaluation_date=day, firms=len(ids), evaluated=0, unchanged=0, programs={},
        not_in_force=selection.not_in_force, seconds=0.0,
    )  # fmt: skip
    done, written = 0, set[str]()  # programs this run stored decisions of
    for chunk in _chunks(ids, chunk_size):
        raw = await load_raw(session, chunk, year)
        latest = await repo.latest_hashes(chunk, year)
        records = await asyncio.to_thread(
            build_records, registry, selection, raw, year=year, evaluation_date=day, run_id=run_id,
            created_at=created_at, latest=latest,
        )  # fmt: skip
        await repo.store_snapshots(records.snapshots)
        await repo.store_evaluations(EVALUATION_COLUMNS, records.evaluations, run_id)
        written.update(row[PROGRAM] for row in records.evaluations)
        summary.evaluated += len(records.evaluations)
        summary.unchanged += records.unchanged
        for program, counts in records.outcomes.items():
            totals = summary.programs.setdefault(program, {"eligible": 0, "ineligible": 0, "unknown": 0})
            for outcome, count in counts.items():
                totals[outcome] += count
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, len(ids))
    indices = [r.program for r in selection.rulesets if r.kind == "index"]
    await repo.refresh_score_distribution(indices, year, written)  # the percentiles a status shows
    summary.seconds = round(time.perf_counter() - started, 3)
    await audit.record(
        session, actor, "evaluation.run", "evaluation", run_id, after=summary.model_dump(mode="json")
    )
    return summary
