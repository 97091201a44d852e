"""What a decision shows: each criterion with its facts, params and gaps, and next-rung advice."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rules.facts import FactSpec
from vocabulary.units import show

Outcome = str  # "pass" | "fail" | "unknown"
INFINITE = math.inf


@dataclass(frozen=True)
class ParamUse:
    name: str
    value: Any
    reference: str
    status: str  # confirmed | provisional
    unit: str = ""


@dataclass(frozen=True)
class Comparison:
    """A failed comparison inside a criterion: where the firm is and where it must get."""

    expression: str  # the left side as written, e.g. window.rd_ratio_3y
    label: str
    op: str
    current: float | None
    required: float | None
    unit: str


@dataclass(frozen=True)
class Change:
    """The smallest change of one input that makes the criterion pass."""

    fact: str
    label: str
    unit: str
    current: float
    target: float

    @property
    def delta(self) -> float:
        return self.target - self.current

    @property
    def relative(self) -> float:
        scale = max(abs(self.current), abs(self.target))
        return abs(self.delta) / scale if scale else 0.0


@dataclass
class Trace:
    id: str
    label: str
    reference: str
    kind: str  # test | all | any | not
    outcome: Outcome
    advice: str | None = None  # fixed | expert (from the rule file)
    test: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    params: list[ParamUse] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    missing_labels: list[str] = field(default_factory=list)  # the same facts as a user reads them
    comparisons: list[Comparison] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # cheapest first
    children: list[Trace] = field(default_factory=list)

    def walk(self) -> list[Trace]:
        return [self, *(node for child in self.children for node in child.walk())]

    def find(self, criterion: str) -> Trace:
        for node in self.walk():
            if node.id == criterion:
                return node
        raise KeyError(criterion)

    def outcomes(self) -> dict[str, Outcome]:
        return {node.id: node.outcome for node in self.walk()}

    def explain(self, criterion: str | None = None) -> str:
        node = self.find(criterion) if criterion else self
        lines = [f"{node.id} [{node.outcome}] {node.label}"]
        lines += [f"  事实 {k} = {v!r}" for k, v in node.facts.items()]
        lines += [f"  参数 {p.name} = {p.value!r}（{p.status}）" for p in node.params]
        lines += [f"  缺少 {m}" for m in node.missing]
        lines += [f"  差距 {c.expression} {c.current!r} 需 {c.op} {c.required!r}" for c in node.comparisons]
        return "\n".join(lines)


@dataclass(frozen=True)
class Step:
    criterion: str
    label: str
    kind: str  # change | provide | expert | impossible
    text: str
    change: Change | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Advice:
    """The cheapest way to the program: fewest criteria to fix, then the smallest relative change."""

    reachable: bool
    failing: int
    relative_change: float
    steps: tuple[Step, ...]


def format_amount(value: float, unit: str) -> str:
    """Figures as users read them (元 in 万元, ratios in %, points in 分): as every page shows them."""
    return show(value, unit)


def describe_change(change: Change) -> str:
    """「上年营业收入还差 2.35万元」 / 「近三年研发费用占比 3.2%，需达到 4%」."""
    if change.unit == "ratio":
        return f"{change.label} {format_amount(change.current, 'ratio')}，需达到 {format_amount(change.target, 'ratio')}"
    verb = "还差" if change.delta > 0 else "需减少"
    return f"{change.label}{verb} {format_amount(abs(change.delta), change.unit)}（现为 {format_amount(change.current, change.unit)}）"


def spec_label(spec: FactSpec | None, name: str) -> str:
    return spec.label if spec else name
