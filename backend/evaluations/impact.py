"""The impact of adopting another rule version, over the registry or one bureau (not stored)."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.errors import Forbidden, NotFound
from backend.core.security import Actor
from backend.evaluations.facts import load_raw
from backend.evaluations.repository import FactsRepository
from backend.evaluations.service import default_evaluation_date
from backend.reference import service as reference
from backend.rulesets import service as rulesets
from backend.rulesets.schemas import AwardDelta, DiffRead, DiffRequest, FirmChange
from rules.errors import RuleError
from rules.impact import impact_diff
from vocabulary.states import Role


async def impact(session: AsyncSession, actor: Actor, request: DiffRequest) -> DiffRead:
    """Evaluate the registry (or one bureau) under two versions: who gains, who loses, award money moved."""
    if actor.role not in (Role.city, Role.admin):
        raise Forbidden("只有市科技局和管理员可以比较规则版本")
    if request.bureau:
        await reference.require_bureau(session, request.bureau, field="bureau")
    rules = rulesets.registry()
    try:
        for version in (request.old_version, request.new_version):
            rules.get(request.program, version)
    except RuleError as exc:
        raise NotFound(str(exc), program=request.program) from None
    ids = await FactsRepository(session).firm_ids(request.bureau)
    raw = await load_raw(session, ids, request.year)
    day = default_evaluation_date(request.year)
    diff = await asyncio.to_thread(
        impact_diff, rules, raw, program=request.program, old_version=request.old_version,
        new_version=request.new_version, year=request.year, evaluation_date=day,
    )  # fmt: skip
    changes = diff.changes.head(request.limit)
    firms = [
        FirmChange(
            uscc=str(raw.firms.at[firm_id, "uscc"]), name=str(raw.firms.at[firm_id, "name"]),
            bureau=str(row.bureau), old=row.old, new=row.new, change=row.change, reasons=list(row.reasons),
        )
        for firm_id, row in changes.iterrows()
    ]  # fmt: skip
    awards = [AwardDelta(**record) for record in diff.awards.to_dict("records")]
    return DiffRead(
        program=request.program, old_version=request.old_version, new_version=request.new_version, year=request.year,
        firms_evaluated=len(ids), counts=diff.counts(), firms=firms, awards=awards,
        award_delta_yuan=int(diff.awards["delta_yuan"].sum()) if len(diff.awards) else 0,
    )  # fmt: skip
