"""Shapes of decisions, traces and advice as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backend.filings.schemas import FilingFiguresIn, FiscalYear
from rules.evaluate import Decision
from rules.memo import KeptBy
from rules.trace import Advice, ParamUse, Trace, describe_change, format_amount
from vocabulary.states import CRITERION_LABELS, OUTCOME_LABELS


class ParamRead(BaseModel):
    name: str
    value: Any
    reference: str
    status: str  # confirmed | provisional (暂定)
    unit: str


class ComparisonRead(BaseModel):
    expression: str
    label: str
    op: str
    current: float | None
    required: float | None
    unit: str
    text: str  # 「研发费用占比 3.2%，需达到 4%」


class ChangeRead(BaseModel):
    fact: str
    label: str
    unit: str
    current: float
    target: float
    text: str


class CriterionSummary(BaseModel):
    """A criterion as the status page shows it: outcome, the firm's figures, thresholds, policy article."""

    id: str
    label: str
    reference: str
    outcome: str  # pass | fail | unknown
    outcome_label: str
    facts: dict[str, Any]
    params: list[ParamRead]
    missing: list[str]
    missing_labels: list[str]  # the missing facts as a user reads them
    comparisons: list[ComparisonRead]
    children: tuple[CriterionSummary, ...]


class CriterionRead(CriterionSummary):
    """Everything the rules engine explains about a criterion (``detail=full`` and what-ifs)."""

    advice_kind: str | None  # fixed | expert
    test: str | None
    changes: list[ChangeRead]
    children: tuple[CriterionRead, ...]


class StepRead(BaseModel):
    criterion: str
    label: str
    kind: str  # change | provide | expert | impossible
    text: str


class AdviceRead(BaseModel):
    reachable: bool
    failing: int
    steps: list[StepRead]


class ComponentRead(BaseModel):
    name: str
    label: str
    points: float | None


class Percentiles(BaseModel):
    """Where the firm's index stands among the latest stored scores of its peers (share at or below)."""

    bureau: float | None
    bureau_peers: int
    tech_field: float | None
    tech_field_peers: int


class StoredDecision(BaseModel):
    outcome: str
    version: str
    run_id: str
    created_at: datetime
    same_inputs: bool  # the live evaluation read exactly the facts this stored decision read


class DecisionSummary(BaseModel):
    """A program's decision as the status page shows it (the default of ``GET /api/firms/{uscc}/status``)."""

    program: str
    title: str
    kind: str
    version: str
    year: int
    as_of: date
    outcome: str  # eligible | ineligible | unknown
    outcome_label: str
    amount_yuan: int | None
    score: float | None
    missing: list[str]
    provisional: list[ParamRead]  # thresholds or amounts no source confirms: shown as 暂定
    notes: list[str]
    criteria: CriterionSummary
    components: list[ComponentRead] = []  # index programs: the firm profile
    percentiles: Percentiles | None = None  # index programs, once a year has been evaluated
    stored: StoredDecision | None = None


class DecisionRead(DecisionSummary):
    """Everything about a decision: the rule content's hash, each criterion's test and the program's advice."""

    content_hash: str
    criteria: CriterionRead
    advice: AdviceRead | None


class FirmStatusSummary(BaseModel):
    """A firm's status as its page shows it; ``detail=full`` gives a ``FirmStatus``."""

    uscc: str
    name: str
    year: int
    evaluation_date: date
    held_tiers: list[str]
    next_rung: str | None
    next_rung_advice: AdviceRead | None
    decisions: tuple[DecisionSummary, ...]


class FirmStatus(FirmStatusSummary):
    decisions: tuple[DecisionRead, ...]


class WhatIfRequest(BaseModel):
    """The firm's registry figures with some changed (or, for city staff, facts given whole)."""

    model_config = ConfigDict(extra="forbid")

    uscc: str | None = None
    year: int = Field(ge=2000, le=2200)
    programs: list[str] | None = None
    filings: dict[FiscalYear, FilingFiguresIn] = Field(default_factory=dict)  # fiscal year -> changed figures
    inputs: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any] | None = None  # a whole facts document (tidu rules facts), without uscc


class RunSummaryRead(BaseModel):
    run_id: str
    year: int
    evaluation_date: date
    firms: int
    evaluated: int  # decisions written
    unchanged: int  # decisions equal to the latest stored one: not written again
    programs: dict[str, dict[str, int]]
    not_in_force: list[str]
    seconds: float


# A rule set's few hundred thresholds, as shown; the value's type in the key: 10 and 10.0 are
# equal but print differently.
_param_reads: KeptBy[ParamRead] = KeptBy(20_000)


def _param_read(use: ParamUse) -> ParamRead:
    key = (use, type(use.value))
    try:
        found = _param_reads.get((), key)
    except TypeError:  # a list-valued threshold (bands): not a key
        return _new_param_read(use)
    return found if found is not None else _param_reads.put((), key, _new_param_read(use))


def _new_param_read(use: ParamUse) -> ParamRead:
    return ParamRead(
        name=use.name, value=use.value, reference=use.reference, status=use.status, unit=use.unit
    )


def _criterion_shown(trace: Trace) -> dict[str, Any]:
    return {
        "id": trace.id, "label": trace.label, "reference": trace.reference, "outcome": trace.outcome,
        "outcome_label": CRITERION_LABELS[trace.outcome],
        "facts": {k: v.isoformat() if isinstance(v, date) else v for k, v in trace.facts.items()},
        "params": [_param_read(p) for p in trace.params],
        "missing": trace.missing, "missing_labels": trace.missing_labels,
        "comparisons": [
            ComparisonRead(
                expression=c.expression, label=c.label, op=c.op, current=c.current, required=c.required, unit=c.unit,
                text=_comparison_text(c.label, c.current, c.required, c.unit),
            )
            for c in trace.comparisons
        ],
    }  # fmt: skip


# The rules engine hands out the same trace object for a leaf whose inputs it has seen before;
# its summary is then the same too, and is kept beside it (bounded, like the traces).
_leaf_summaries: KeptBy[CriterionSummary] = KeptBy(20_000)


def _trace_summary(trace: Trace) -> CriterionSummary:
    if trace.children:
        children = tuple(_trace_summary(child) for child in trace.children)
        return CriterionSummary(**_criterion_shown(trace), children=children)
    found = _leaf_summaries.get((trace,))
    if found is None:
        found = _leaf_summaries.put((trace,), (), CriterionSummary(**_criterion_shown(trace), children=()))
    return found


def _trace_read(trace: Trace) -> CriterionRead:
    return CriterionRead(
        **_criterion_shown(trace), advice_kind=trace.advice, test=trace.test,
        changes=[
            ChangeRead(fact=c.fact, label=c.label, unit=c.unit, current=c.current, target=c.target, text=describe_change(c))
            for c in trace.changes
        ],
        children=tuple(_trace_read(child) for child in trace.children),
    )  # fmt: skip


def _comparison_text(label: str, current: float | None, required: float | None, unit: str) -> str:
    if current is None or required is None:
        return label
    return f"{label} {format_amount(current, unit)}，需达到 {format_amount(required, unit)}"


def advice_read(advice: Advice | None) -> AdviceRead | None:
    if advice is None:
        return None
    steps = [StepRead(criterion=s.criterion, label=s.label, kind=s.kind, text=s.text) for s in advice.steps]
    return AdviceRead(reachable=advice.reachable, failing=advice.failing, steps=steps)


def _decision_shown(decision: Decision, stored: StoredDecision | None) -> dict[str, Any]:
    return {
        "program": decision.program, "title": decision.title, "kind": decision.kind, "version": decision.version,
        "year": decision.year, "as_of": decision.as_of, "outcome": decision.outcome,
        "outcome_label": OUTCOME_LABELS[decision.outcome], "amount_yuan": decision.amount, "score": decision.score,
        "missing": decision.missing,
        "provisional": [_param_read(p) for p in decision.provisional],
        "notes": decision.notes, "stored": stored,
        "components": [ComponentRead(name=name, label=decision.component_labels.get(name, name), points=points)
                       for name, points in decision.components.items()],
    }  # fmt: skip


def decision_summary(decision: Decision, stored: StoredDecision | None = None) -> DecisionSummary:
    return DecisionSummary(**_decision_shown(decision, stored), criteria=_trace_summary(decision.trace))


def decision_read(decision: Decision, stored: StoredDecision | None = None) -> DecisionRead:
    return DecisionRead(
        **_decision_shown(decision, stored), content_hash=decision.content_hash, criteria=_trace_read(decision.trace),
        advice=advice_read(decision.advice),
    )  # fmt: skip
