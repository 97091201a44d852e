"""Stored decisions for the tier programs, written directly (the workflow reads only the latest one).

Real rule runs cannot make a leader firm eligible (its thresholds are unconfirmed), so the
admission tests state the decision they need; the rule-set row is the real one, so criterion
labels come from the real document.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Evaluation, EvaluationLatest, FactSnapshot, Firm, RulesetVersion
from backend.rulesets.service import registry

_numbers = itertools.count(1)


async def _ruleset(session: AsyncSession, program: str) -> tuple[str, str]:
    ruleset = registry().versions(program)[-1]
    if await session.get(RulesetVersion, ruleset.content_hash) is None:
        document = ruleset.document.model_dump(mode="json", by_alias=True)
        session.add(
            RulesetVersion(
                content_hash=ruleset.content_hash, program=program, version=ruleset.version, document=document
            )
        )
    return ruleset.content_hash, ruleset.version


async def make_decision(
    session: AsyncSession,
    firm: Firm,
    program: str,
    year: int,
    outcome: str,
    criteria: dict[str, str] | None = None,
) -> Evaluation:
    """A decision for ``firm``, made the latest one for (program, year)."""
    assert firm.id is not None
    ruleset_hash, version = await _ruleset(session, program)
    n = next(_numbers)
    snapshot = hashlib.sha256(f"{firm.id}:{program}:{year}:{n}".encode()).hexdigest()
    session.add(FactSnapshot(snapshot_hash=snapshot, firm_id=firm.id, year=year, facts={"n": n}))
    await session.flush()  # no ORM relationships: parents go in first, explicitly
    verdict = {"eligible": "pass", "ineligible": "fail"}.get(outcome, "unknown")
    evaluation = Evaluation(
        firm_id=firm.id, program=program, version=version, ruleset_hash=ruleset_hash, year=year,
        as_of=date(year - 1, 12, 31), evaluated_on=date(year, 6, 1), outcome=outcome,
        failing=sum(1 for v in (criteria or {}).values() if v == "fail"),
        criteria=criteria or {program: verdict}, inputs_hash=snapshot, snapshot_hash=snapshot,
        run_id=f"test-{n}",
    )  # fmt: skip
    session.add(evaluation)
    await session.flush()
    assert evaluation.id is not None
    latest = await session.get(EvaluationLatest, (firm.id, program, year))
    if latest is None:
        latest = EvaluationLatest(
            firm_id=firm.id, program=program, year=year, evaluation_id=evaluation.id,
            ruleset_hash=ruleset_hash, inputs_hash=snapshot, outcome=outcome,
        )  # fmt: skip
    else:
        latest.evaluation_id, latest.inputs_hash, latest.outcome = evaluation.id, snapshot, outcome
    session.add(latest)
    await session.flush()
    return evaluation
