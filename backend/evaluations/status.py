"""A firm's status (every program, explained, with next-rung advice) and what-ifs (never stored)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.config import get_settings
from backend.core.errors import Forbidden, Unprocessable
from backend.core.money import yuan_text
from backend.core.security import Actor
from backend.evaluations.errors import RuleInputInvalid
from backend.evaluations.facts import load_firm
from backend.evaluations.records import program_hashes, read_same_facts
from backend.evaluations.repository import StoredDecisionRow, latest_for_firm, peer_standing, stored_facts
from backend.evaluations.schemas import (
    DecisionRead,
    FirmStatus,
    FirmStatusSummary,
    Percentiles,
    StoredDecision,
    WhatIfRequest,
    advice_read,
    decision_read,
    decision_summary,
)
from backend.evaluations.service import default_evaluation_date
from backend.filings.schemas import FilingFiguresIn
from backend.firms import service as firm_service
from backend.rulesets import service as rulesets
from rules.errors import RuleError
from rules.evaluate import Decision
from rules.facts import INPUT_FACTS, TIERS
from rules.facts_file import parse_facts, to_raw
from rules.one_firm import FirmRecords, raw_of, records_of
from rules.run import decide_firm, derive_for, evaluate_derived, evaluate_one, explain, select
from vocabulary.figures import MAX_YUAN
from vocabulary.states import Role

LADDER = list(TIERS)  # seedling → gazelle → leader_candidate → leader


def _require_reader(actor: Actor) -> None:
    if not actor.reads_filings:
        raise Forbidden("当前角色无权查看企业的评价详情（含企业申报数据）")


async def firm_status(
    session: AsyncSession, actor: Actor, raw_uscc: str, year: int | None = None, *, full: bool = False
) -> FirmStatusSummary:
    """Every program for the firm, decided now on its current figures, beside the stored decisions.

    As the status page shows them, or with everything the rules engine explains when ``full``
    (a ``FirmStatus``: each criterion's test and advice kind, each program's advice, rule hashes).
    """
    _require_reader(actor)
    firm = await firm_service.get_visible(session, actor, raw_uscc)
    assert firm.id is not None
    year = year or clock.today().year
    day = default_evaluation_date(year)
    records = await load_firm(session, firm, year)
    stored = await latest_for_firm(session, firm.id, year)
    held = held_tiers(records.tiers, day)
    next_rung = next((tier for tier in LADDER[_rung(held) :] if tier not in held), None)
    if get_settings().status_engine == "frames":
        decisions, same = await asyncio.to_thread(_decide_frames, records, firm.id, stored, year, day)
    else:  # milliseconds of CPU: cheaper on the loop than the hop to a worker thread and back
        snapshots = await stored_facts(session, stored.values())
        # The summary shows advice for the next rung only: the other programs skip the searches.
        advise = True if full else {next_rung} if next_rung else False
        decisions, same = _decide(records, stored, snapshots, year, day, advise)
    reads = []
    for program, decision in decisions.items():
        row = stored.get(program)
        previous = None
        if row is not None:
            previous = StoredDecision(outcome=row.outcome, version=row.version, run_id=row.run_id,
                                      created_at=row.created_at, same_inputs=same[program])  # fmt: skip
        read = decision_read(decision, previous) if full else decision_summary(decision, previous)
        if decision.kind == "index" and decision.score is not None:
            read.percentiles = await _percentiles(session, decision, firm.bureau_code, firm.tech_field, year)
        reads.append(read)
    advice = decisions[next_rung].advice if next_rung in decisions else None
    return (FirmStatus if full else FirmStatusSummary)(
        uscc=firm.uscc, name=firm.name, year=year, evaluation_date=day, held_tiers=held, next_rung=next_rung,
        next_rung_advice=advice_read(advice), decisions=reads,
    )  # fmt: skip


Decided = tuple[
    dict[str, Decision], dict[str, bool]
]  # decisions, and whether each read the stored one's facts


def _decide(
    records: FirmRecords,
    stored: Mapping[str, StoredDecisionRow],
    snapshots: Mapping[str, Mapping[str, Any]],
    year: int,
    day: date,
    advise: bool | Collection[str],
) -> Decided:
    """The firm decided in plain Python (milliseconds), compared with the facts stored decisions read."""
    selection, derived, decisions = decide_firm(
        rulesets.registry(), records, year=year, evaluation_date=day, advise=advise
    )
    same = {
        program: row.ruleset_hash == decisions[program].content_hash
        and read_same_facts(
            decisions[program], selection, derived, snapshots.get(row.snapshot_hash), year, day
        )
        for program, row in stored.items()
        if program in decisions
    }
    return decisions, same


def _decide_frames(
    records: FirmRecords, firm_id: int, stored: Mapping[str, StoredDecisionRow], year: int, day: date
) -> Decided:
    """The registry's vectorised path on a one-row frame: the load benchmark's baseline."""
    registry = rulesets.registry()
    selection = select(registry, None, day)
    derived = derive_for(registry, selection, raw_of(records, firm_id), year=year, evaluation_date=day)
    run = evaluate_derived(selection, derived, year=year, evaluation_date=day)
    decisions = explain(registry, run, year=year, evaluation_date=day)
    same = {}
    for r in selection.rulesets:
        row = stored.get(r.program)
        if row is not None:
            fingerprint = str(program_hashes(r, selection, derived, year, day).iloc[0])
            same[r.program] = (
                row.inputs_hash == fingerprint and row.ruleset_hash == decisions[r.program].content_hash
            )
    return decisions, same


async def _percentiles(
    session: AsyncSession, decision: Decision, bureau: str, tech_field: str | None, year: int
) -> Percentiles:
    assert decision.score is not None
    in_bureau, below_b, in_field, below_f = await peer_standing(
        session, decision.program, year, bureau, tech_field, decision.score
    )
    return Percentiles(
        bureau=round(below_b / in_bureau, 4) if in_bureau else None, bureau_peers=in_bureau,
        tech_field=round(below_f / in_field, 4) if in_field else None, tech_field_peers=in_field,
    )  # fmt: skip


def held_tiers(tiers: Sequence[Mapping[str, Any]], day: date) -> list[str]:
    """The tiers the firm holds on ``day``: admitted, in force, not yet ended (in ladder order)."""
    found = {
        row["tier"]
        for row in tiers
        if row["state"] == "admitted"
        and row["valid_from"] is not None
        and row["valid_from"] <= day
        and (row["valid_to"] is None or row["valid_to"] >= day)
    }
    return [tier for tier in LADDER if tier in found]


def _rung(held: list[str]) -> int:
    return max((LADDER.index(t) for t in held), default=-1) + 1


async def what_if(session: AsyncSession, actor: Actor, request: WhatIfRequest) -> list[DecisionRead]:
    """Decisions on changed figures (own firm) or on a whole facts document (city staff). Not stored."""
    records = await _what_if_inputs(session, actor, request)
    registry = rulesets.registry()
    day = default_evaluation_date(request.year)
    try:
        if get_settings().status_engine == "frames":
            decisions = await asyncio.to_thread(
                evaluate_one, registry, raw_of(records), year=request.year, evaluation_date=day,
                programs=request.programs,
            )  # fmt: skip
        else:
            _, _, decisions = decide_firm(
                registry, records, year=request.year, evaluation_date=day, programs=request.programs
            )
    except RuleError as exc:
        raise RuleInputInvalid.from_rule_error("programs", exc) from None
    return [decision_read(d) for d in decisions.values()]


async def _what_if_inputs(session: AsyncSession, actor: Actor, request: WhatIfRequest) -> FirmRecords:
    _check_inputs(request.inputs)
    if request.uscc is not None:
        _require_reader(actor)
        firm = await firm_service.get_visible(session, actor, request.uscc)
        assert firm.id is not None
        records = await load_firm(session, firm, request.year)
        return overlay(records, request.filings, request.inputs)
    if actor.role not in (Role.city, Role.admin):
        raise Forbidden("企业和区科技局只能对登记库中本范围内的企业做模拟测算（请提供 uscc）")
    if request.facts is None:
        raise Unprocessable("facts", None, "请提供 uscc（登记库中的企业）或 facts（完整的事实文件）")
    try:
        raw = to_raw(parse_facts(request.facts))
    except RuleError as exc:
        raise RuleInputInvalid.from_rule_error("facts", exc) from None
    return overlay(records_of(raw, int(raw.firms.index[0])), request.filings, request.inputs)


def _check_inputs(inputs: Mapping[str, Any]) -> None:
    known = {spec.name.removeprefix("input."): spec for spec in INPUT_FACTS}
    for name, value in inputs.items():
        spec = known.get(name)
        if spec is None:
            raise Unprocessable(
                f"inputs.{name}", value, f"未知的申请材料字段（可选：{'、'.join(sorted(known))}）"
            )
        if spec.type == "number" and (
            not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= MAX_YUAN
        ):
            raise Unprocessable(
                f"inputs.{name}", value, f"应为 0 至 {yuan_text(MAX_YUAN)}之间的数字（金额以元为单位）"
            )
        if spec.type == "bool" and not isinstance(value, bool):
            raise Unprocessable(f"inputs.{name}", value, "应为 true 或 false")


def overlay(
    records: FirmRecords, filings: Mapping[int, FilingFiguresIn], inputs: Mapping[str, Any]
) -> FirmRecords:
    """``records`` with the given figures replacing the registry's (other figures unchanged)."""
    rows = [dict(row) for row in records.filings]
    for fiscal_year, figures in filings.items():
        changes = figures.model_dump(exclude_unset=True)
        same_year = [row for row in rows if row["fiscal_year"] == fiscal_year]
        for row in same_year:
            row.update(changes)
        if not same_year:
            rows.append({"fiscal_year": fiscal_year, **changes})
    given = {f"input.{k}": v for k, v in inputs.items()} if inputs else records.inputs
    return replace(records, filings=rows, inputs=given)  # every other record (registers too) as loaded
