"""Evaluate an expression for one firm, with three-valued (Kleene) logic.

``None`` is unknown: a missing fact, a division by zero, a threshold no source gives. It
propagates: ``false and unknown`` is false, ``true or unknown`` is true, anything else
touching unknown is unknown. Numbers are floats, exactly as in the vectorized evaluator.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from rules.expr import Arith, BoolOp, Call, Compare, Const, FactRef, IfElse, Neg, Node, Not, ParamRef, VarRef
from rules.memo import per_object

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def normalise(value: Any, kind: str) -> Any:
    """A fact's value as the evaluator sees it: None for anything missing, floats for numbers."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT
            return None
    except (TypeError, ValueError):
        return None  # pd.NA raises on comparison: it is missing
    if kind == "number":
        return float(value)
    if kind == "bool":
        return bool(value)
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value))
    return value


class ScalarEvaluator:
    def __init__(
        self, facts: Mapping[str, Any], params: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> None:
        self.facts = facts
        self.params = params
        self.variables = variables

    def with_fact(self, name: str, value: Any) -> ScalarEvaluator:
        return ScalarEvaluator({**self.facts, name: value}, self.params, self.variables)

    def fact(self, ref: FactRef) -> Any:
        return normalise(self.facts.get(ref.name), ref.type)

    def value(self, node: Node) -> Any:
        return _compiled(node)(self)

    @staticmethod
    def compiled(node: Node) -> Callable[[ScalarEvaluator], Any]:
        """``node`` as a function of an evaluator, for evaluating it many times (a search)."""
        return _compiled(node)


Compiled = Callable[[ScalarEvaluator], Any]


@per_object
def _compiled(node: Node) -> Compiled:  # noqa: C901 - one branch per node kind, flat on purpose
    """``node`` as a Python function of an evaluator: built once per node, the tree walked once.

    A status decides seventeen programs and searches each failed threshold by bisection, evaluating
    the same expressions hundreds of times; dispatching on the node kind every time cost most of it.
    """
    if isinstance(node, Const):
        constant = float(node.value) if node.type == "number" else node.value
        return lambda _: constant
    if isinstance(node, FactRef):
        name, kind = node.name, node.type
        return lambda ev: normalise(ev.facts.get(name), kind)
    if isinstance(node, ParamRef):
        name, number = node.name, node.type == "number"

        def param(ev: ScalarEvaluator) -> Any:
            value = ev.params.get(name)
            return float(value) if number and value is not None else value

        return param
    if isinstance(node, VarRef):
        name, number = node.name, node.type == "number"
        return lambda ev: float(ev.variables[name]) if number else ev.variables[name]
    if isinstance(node, Not):
        operand = _compiled(node.operand)

        def negation(ev: ScalarEvaluator) -> Any:
            value = operand(ev)
            return None if value is None else not value

        return negation
    if isinstance(node, BoolOp):
        return _bool_op(node.op, [_compiled(o) for o in node.operands])
    if isinstance(node, Compare):
        left, right, compare = _compiled(node.left), _compiled(node.right), _COMPARE[node.op]

        def comparison(ev: ScalarEvaluator) -> Any:
            a, b = left(ev), right(ev)
            return None if a is None or b is None else compare(a, b)

        return comparison
    if isinstance(node, Arith):
        left, right, op = _compiled(node.left), _compiled(node.right), node.op
        return lambda ev: _arith(op, left(ev), right(ev))
    if isinstance(node, Neg):
        operand = _compiled(node.operand)

        def minus(ev: ScalarEvaluator) -> Any:
            value = operand(ev)
            return None if value is None else -value

        return minus
    if isinstance(node, Call):
        assert node.function is not None
        function, args = node.function.scalar, [_compiled(a) for a in node.args]
        return lambda ev: function(*(arg(ev) for arg in args))
    if isinstance(node, IfElse):
        test, body, orelse = _compiled(node.test), _compiled(node.body), _compiled(node.orelse)

        def choice(ev: ScalarEvaluator) -> Any:
            taken = test(ev)
            if taken is None:
                return None
            return body(ev) if taken else orelse(ev)

        return choice
    raise TypeError(f"unknown node {type(node).__name__}")


def _bool_op(op: str, operands: list[Compiled]) -> Compiled:
    """Kleene's and / or: a false (true) operand decides; otherwise any unknown makes it unknown."""
    decisive: bool = op != "and"  # the value that decides: False for and, True for or
    otherwise: bool = not decisive

    def combined(ev: ScalarEvaluator) -> bool | None:
        unknown = False
        for operand in operands:
            value = operand(ev)
            if value is decisive:
                return not otherwise
            unknown = unknown or value is None
        return None if unknown else otherwise

    return combined


def _arith(op: str, left: float | None, right: float | None) -> float | None:
    if left is None or right is None:
        return None
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = left * right
    else:
        if right == 0:
            return None  # division by zero is unknown, never a pass
        result = left / right
    return None if math.isinf(result) or math.isnan(result) else result
