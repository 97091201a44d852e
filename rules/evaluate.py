"""The single-firm evaluator: a decision with a trace for every criterion and next-rung advice."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.expr import (
    Arith,
    Call,
    Compare,
    Const,
    FactRef,
    IfElse,
    Neg,
    Node,
    Not,
    ParamRef,
    VarRef,
    facts_read,
    params_read,
)
from rules.facts import FactSchema
from rules.memo import KeptBy, per_object
from rules.ruleset import CompiledCriterion, RuleSet
from rules.scalar import ScalarEvaluator, normalise
from rules.trace import (
    INFINITE,
    Advice,
    Change,
    Comparison,
    ParamUse,
    Step,
    Trace,
    describe_change,
    spec_label,
)

OUTCOMES = {"pass": "eligible", "fail": "ineligible", "unknown": "unknown"}
INTEGRAL_UNITS = ("yuan", "count", "persons", "points")


@dataclass
class Decision:
    program: str
    version: str
    title: str
    kind: str
    content_hash: str
    year: int
    as_of: date
    outcome: str  # eligible | ineligible | unknown (shown as 资料不全 / incomplete)
    trace: Trace
    missing: list[str] = field(default_factory=list)
    provisional: list[ParamUse] = field(default_factory=list)
    amount: int | None = None
    score: float | None = None
    advice: Advice | None = None
    notes: list[str] = field(default_factory=list)
    components: dict[str, float | None] = field(default_factory=dict)  # index parts (the firm profile)
    component_labels: dict[str, str] = field(default_factory=dict)

    @property
    def failing(self) -> int:
        """The fewest criteria still to meet (0 when it passes): as the vectorized ``failing``."""
        return to_fix(self.trace)


def to_fix(node: Trace) -> int:
    if node.outcome == "pass":
        return 0
    if node.kind in ("test", "not"):
        return 1
    counts = [to_fix(child) for child in node.children]
    return sum(counts) if node.kind == "all" else min(counts)


def evaluate_facts(
    ruleset: RuleSet,
    facts: Mapping[str, Any],
    *,
    year: int,
    as_of: date,
    schema: FactSchema,
    advise: bool = True,
) -> Decision:
    """Decide one program for one firm from flat facts (names as in ``tidu rules facts``).

    ``advise``: also the program's next-rung advice and, for each failing criterion, the smallest
    change of each figure that passes it (the searches are most of the work; the status page shows
    advice for one program only).
    """
    params = ruleset.params_on(as_of)
    evaluator = ScalarEvaluator(facts, params, {"as_of": as_of, "year": year})
    trace = _trace(ruleset.root, evaluator, ruleset, schema, advise)
    decision = Decision(
        program=ruleset.program,
        version=ruleset.version,
        title=ruleset.title,
        kind=ruleset.kind,
        content_hash=ruleset.content_hash,
        year=year,
        as_of=as_of,
        outcome=OUTCOMES[trace.outcome],
        trace=trace,
        provisional=_provisional_on(ruleset, as_of, params),
    )
    if decision.outcome == "unknown":
        decision.missing = sorted({m for node in trace.walk() for m in node.missing})
    _finish(decision, ruleset, evaluator)
    if advise and decision.outcome != "eligible":
        decision.advice = advise_path(trace)
    return decision


def _finish(decision: Decision, ruleset: RuleSet, evaluator: ScalarEvaluator) -> None:
    document = ruleset.document
    if not document.enabled:
        decision.outcome, decision.notes = "unknown", ["项目未启用：参数尚未确认，不计算结果"]
        return
    if decision.outcome != "eligible":
        return
    if ruleset.amount is not None:
        decision.amount = amount_of(evaluator.value(ruleset.amount), ruleset, evaluator.params)
        if decision.amount is None:
            decision.outcome, decision.notes = "unknown", ["金额无法确定（参数或输入缺失）"]
            absent = [
                n for n in facts_read(ruleset.amount) if evaluator.fact(FactRef("number", 0, n)) is None
            ]
            decision.missing = sorted(set(decision.missing) | set(absent))
    if ruleset.score is not None:
        decision.score = evaluator.value(ruleset.score)
        decision.components = {name: evaluator.value(node) for name, node in ruleset.components.items()}
        parts = ruleset.document.components or {}
        decision.component_labels = {name: part.label for name, part in parts.items()}


def amount_of(value: float | None, ruleset: RuleSet, params: Mapping[str, Any]) -> int | None:
    """Round to whole 元 (half up), never below zero, within the declared cap."""
    if value is None:
        return None
    amount = math.floor(float(value) + 0.5)  # the same rounding as the vectorized evaluator
    cap_name = ruleset.document.amount.cap_param if ruleset.document.amount else None
    if cap_name is not None:
        cap = params.get(cap_name)
        if cap is None:
            return None
        amount = min(amount, math.floor(float(cap)))
    return max(int(amount), 0)


_provisional: KeptBy[list[ParamUse]] = KeptBy(1_000)  # per rule set and date


def _provisional_on(ruleset: RuleSet, as_of: date, params: Mapping[str, Any]) -> list[ParamUse]:
    """``provisional_params`` of the rule set's own params on ``as_of``: the same for every firm."""
    found = _provisional.get((ruleset,), as_of)
    if found is None:
        found = _provisional.put((ruleset,), as_of, provisional_params(ruleset, params))
    return list(found)


def provisional_params(ruleset: RuleSet, params: Mapping[str, Any]) -> list[ParamUse]:
    """The provisional thresholds and amounts a decision of ``ruleset`` rests on."""
    used = {name for node in ruleset.root.walk() if node.expr for name in params_read(node.expr)}
    for extra in (ruleset.amount, ruleset.score):
        if extra is not None:
            used |= set(params_read(extra))
    if ruleset.document.amount and ruleset.document.amount.cap_param:
        used.add(ruleset.document.amount.cap_param)
    return [
        _param_use(ruleset, name, params)
        for name in sorted(used)
        if ruleset.param(name).status == "provisional"
    ]


def _param_use(ruleset: RuleSet, name: str, params: Mapping[str, Any]) -> ParamUse:
    param = ruleset.param(name)
    return ParamUse(name, params.get(name), param.reference, param.status, param.unit)


# -- the trace ------------------------------------------------------------------------------------


def _trace(
    node: CompiledCriterion, evaluator: ScalarEvaluator, ruleset: RuleSet, schema: FactSchema, advise: bool
) -> Trace:
    if node.kind == "test":
        return _leaf(node, evaluator, ruleset, schema, advise)
    children = [_trace(child, evaluator, ruleset, schema, advise) for child in node.children]
    outcomes = [child.outcome for child in children]
    if node.kind == "all":
        outcome = "fail" if "fail" in outcomes else "unknown" if "unknown" in outcomes else "pass"
    elif node.kind == "any":
        outcome = "pass" if "pass" in outcomes else "unknown" if "unknown" in outcomes else "fail"
    else:
        outcome = {"pass": "fail", "fail": "pass", "unknown": "unknown"}[outcomes[0]]
    return Trace(node.id, node.label, node.reference, node.kind, outcome, node.advice, children=children)


# A leaf's trace is a function of the criterion and the values it reads. Firms share most of them
# (flags, certificates, bands, the same threshold passed), so a worker deciding firm after firm
# finds about four leaves in five already traced. Traces are never changed once built.
_leaves: KeptBy[Trace] = KeptBy(20_000)


def _leaf(
    node: CompiledCriterion, evaluator: ScalarEvaluator, ruleset: RuleSet, schema: FactSchema, advise: bool
) -> Trace:
    assert node.expr is not None
    owners = (node, ruleset, schema)
    detail = _leaf_key(node.expr, evaluator, advise)
    if detail is None:
        return _traced_leaf(node, evaluator, ruleset, schema, advise)
    found = _leaves.get(owners, detail)
    if found is None:
        found = _leaves.put(owners, detail, _traced_leaf(node, evaluator, ruleset, schema, advise))
    return found


def _leaf_key(expr: Node, evaluator: ScalarEvaluator, advise: bool) -> tuple[Any, ...] | None:
    """What the leaf's trace depends on besides the criterion, its rule set and the fact schema;
    None when a value cannot be a key (then it is not kept).

    The params are the rule set's on the as-of date (``evaluate_facts``): the rule set and the
    date in the key stand for them.
    """
    facts = tuple(
        (type(v), v) if type(v) in _PLAIN else _keyed(v) for v in map(evaluator.facts.get, facts_read(expr))
    )
    key = (advise, tuple(evaluator.variables.items()), facts)
    try:
        hash(key)
    except TypeError:  # a value of a kind no rule reads today
        return None
    return key


_PLAIN = frozenset({bool, int, str, date, type(None)})  # equal only when the same value of one type


def _keyed(value: Any) -> Any:
    """``value`` as part of a key: with its type (True, 1 and 1.0 are equal keys but not equal
    facts) and a float's sign (0.0 and -0.0 too), lists and mappings (staff bands) as tuples."""
    if type(value) is float:
        return (float, value, math.copysign(1.0, value))
    if isinstance(value, list | tuple):
        return (list, tuple(map(_keyed, value)))
    if isinstance(value, Mapping):
        return (dict, tuple((k, _keyed(v)) for k, v in value.items()))
    return (type(value), value)


def _traced_leaf(
    node: CompiledCriterion, evaluator: ScalarEvaluator, ruleset: RuleSet, schema: FactSchema, advise: bool
) -> Trace:
    assert node.expr is not None
    value = evaluator.value(node.expr)
    outcome = "unknown" if value is None else "pass" if value else "fail"
    names = facts_read(node.expr)
    facts = {name: normalise(evaluator.facts.get(name), schema.facts[name].type) for name in names}
    trace = Trace(
        node.id,
        node.label,
        node.reference,
        "test",
        outcome,
        node.advice,
        test=render(node.expr),
        facts=facts,
        params=[_param_use(ruleset, name, evaluator.params) for name in params_read(node.expr)],
        missing=[name for name, v in facts.items() if v is None] if outcome == "unknown" else [],
    )
    trace.missing_labels = [schema.facts[name].label for name in trace.missing]
    if outcome == "fail":
        trace.comparisons = _failed_comparisons(node.expr, evaluator, schema)
        if advise and node.advice is None:
            trace.changes = _changes(node.expr, evaluator, schema)
    return trace


def _read(node: Node, evaluator: ScalarEvaluator) -> Iterator[Node]:
    """The nodes a decision rests on: of ``a if test else b``, the test and the branch taken."""
    yield node
    children = node.children()
    if isinstance(node, IfElse):
        test = evaluator.value(node.test)
        if test is not None:
            children = (node.test, node.body if test else node.orelse)
    for child in children:
        yield from _read(child, evaluator)


def _failed_comparisons(expr: Node, evaluator: ScalarEvaluator, schema: FactSchema) -> list[Comparison]:
    found = []
    for sub in _read(expr, evaluator):
        if isinstance(sub, Compare) and sub.left.type == "number" and evaluator.value(sub) is False:
            spec = schema.get(sub.left.name) if isinstance(sub.left, FactRef) else None
            found.append(
                Comparison(
                    expression=render(sub.left),
                    label=spec_label(spec, render(sub.left)),
                    op=sub.op,
                    current=evaluator.value(sub.left),
                    required=evaluator.value(sub.right),
                    unit=spec.unit if spec else "",
                )
            )
    return found


def _changes(expr: Node, evaluator: ScalarEvaluator, schema: FactSchema) -> list[Change]:
    """For each adjustable number the criterion reads, the smallest change that makes it pass."""
    changes = []
    for name in facts_read(expr):
        spec = schema.facts[name]
        current = evaluator.fact(FactRef(spec.type, 0, name))
        if spec.type != "number" or spec.advice not in ("up", "down") or current is None:
            continue
        target = _search(
            expr, evaluator, name, current, +1 if spec.advice == "up" else -1, spec.unit in INTEGRAL_UNITS
        )
        if target is not None:
            changes.append(Change(name, spec.label, spec.unit, current, target))
    return sorted(changes, key=lambda c: (c.relative, c.fact))


def _search(
    expr: Node, evaluator: ScalarEvaluator, name: str, current: float, sign: int, integral: bool
) -> float | None:
    """Smallest move of one fact, in the direction a firm can move it, that makes ``expr`` true."""

    check = evaluator.compiled(expr)

    def passes(value: float) -> bool:
        return check(evaluator.with_fact(name, value)) is True

    reach = _first_passing(passes, current, sign, integral)
    if reach is None:
        return None
    low, high = current, reach  # low fails, high passes: narrow down
    for _ in range(200):
        if abs(high - low) <= (1 if integral else 1e-9 * max(1.0, abs(high))):
            break
        middle = (low + high) / 2
        if integral:
            middle = math.floor(middle) if sign > 0 else math.ceil(middle)
            if middle in (low, high):
                break
        low, high = (low, middle) if passes(middle) else (middle, high)
    if integral:
        high = float(math.ceil(high) if sign > 0 else math.floor(high))
    return high if passes(high) else None


def _first_passing(passes: Any, current: float, sign: int, integral: bool) -> float | None:
    """Exponential search away from ``current``; figures never go below zero."""
    step = max(abs(current) * 0.01, 1.0 if integral else 1e-4)
    for _ in range(80):
        candidate = max(current + sign * step, 0.0) if sign < 0 else current + step
        if passes(candidate):
            return candidate
        if candidate == 0.0 and sign < 0:
            return None
        step *= 2
    return None


# -- advice -----------------------------------------------------------------------------------------


def advise_path(trace: Trace) -> Advice:
    """The cheapest way to pass: fewest failing criteria, then the smallest relative change."""
    failing, relative, steps = _cost(trace)
    reachable = not math.isinf(relative)
    return Advice(reachable=reachable, failing=failing, relative_change=relative, steps=tuple(steps))


def _cost(node: Trace) -> tuple[int, float, list[Step]]:
    if node.outcome == "pass":
        return 0, 0.0, []
    if node.kind == "test":
        return _leaf_cost(node)
    if node.kind == "not":
        if node.outcome == "unknown":
            return _cost(node.children[0])
        return 1, INFINITE, [Step(node.id, node.label, "impossible", f"{node.label}：不满足（排除性条件）")]
    costs = [_cost(child) for child in node.children]
    if node.kind == "all":
        failing = sum(c[0] for c in costs)
        relative = sum(c[1] for c in costs)
        return failing, relative, [step for c in costs for step in c[2]]
    return min(costs, key=lambda c: (math.isinf(c[1]), c[0], c[1]))


def _leaf_cost(node: Trace) -> tuple[int, float, list[Step]]:
    if node.advice == "expert":
        return 1, 1.0, [Step(node.id, node.label, "expert", f"{node.label}：由专家评审打分，不作为建议项")]
    if node.outcome == "unknown":
        if node.missing:
            text = f"{node.label}：请补充 {'、'.join(node.missing_labels or node.missing)}"
            return 1, 0.0, [Step(node.id, node.label, "provide", text, missing=tuple(node.missing))]
        if node.test and "unconfirmed(" in node.test:
            return (
                1,
                INFINITE,
                [Step(node.id, node.label, "impossible", f"{node.label}：评价标准尚未公布，无法判定")],
            )
        return (
            1,
            INFINITE,
            [Step(node.id, node.label, "impossible", f"{node.label}：结果尚不确定，无法给出调整建议")],
        )
    if node.changes:
        best = node.changes[0]
        return 1, best.relative, [Step(node.id, node.label, "change", describe_change(best), change=best)]
    reason = "条件由注册时间、资质或诚信记录决定" if node.advice == "fixed" else "无法通过调整单项数据满足"
    return 1, INFINITE, [Step(node.id, node.label, "impossible", f"{node.label}：{reason}")]


# -- rendering --------------------------------------------------------------------------------------


@per_object
def render(node: Node) -> str:
    """An expression written back as text (for traces)."""
    if isinstance(node, Const):
        return (
            repr(node.value)
            if node.type == "str"
            else str(node.value).lower()
            if node.type == "bool"
            else str(node.value)
        )
    if isinstance(node, FactRef | VarRef):
        return node.name
    if isinstance(node, ParamRef):
        return f"params.{node.name}"
    if isinstance(node, Not):
        return f"not {render(node.operand)}"
    if isinstance(node, Compare | Arith):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    if isinstance(node, Neg):
        return f"-{render(node.operand)}"
    if isinstance(node, Call):
        assert node.function is not None
        return f"{node.function.name}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, IfElse):
        return f"{render(node.body)} if {render(node.test)} else {render(node.orelse)}"
    operands = getattr(node, "operands", ())
    return f" {getattr(node, 'op', 'and')} ".join(f"({render(o)})" for o in operands)
