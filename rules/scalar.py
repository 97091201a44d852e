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

    def value(self, node: Node) -> Any:  # noqa: C901 - one branch per node kind, flat on purpose
        if isinstance(node, Const):
            return float(node.value) if node.type == "number" else node.value
        if isinstance(node, FactRef):
            return self.fact(node)
        if isinstance(node, ParamRef):
            value = self.params.get(node.name)
            return float(value) if node.type == "number" and value is not None else value
        if isinstance(node, VarRef):
            value = self.variables[node.name]
            return float(value) if node.type == "number" else value
        if isinstance(node, Not):
            operand = self.value(node.operand)
            return None if operand is None else not operand
        if isinstance(node, BoolOp):
            return self._bool_op(node)
        if isinstance(node, Compare):
            left, right = self.value(node.left), self.value(node.right)
            return None if left is None or right is None else _COMPARE[node.op](left, right)
        if isinstance(node, Arith):
            return _arith(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Neg):
            operand = self.value(node.operand)
            return None if operand is None else -operand
        if isinstance(node, Call):
            assert node.function is not None
            return node.function.scalar(*(self.value(arg) for arg in node.args))
        if isinstance(node, IfElse):
            test = self.value(node.test)
            if test is None:
                return None
            return self.value(node.body if test else node.orelse)
        raise TypeError(f"unknown node {type(node).__name__}")

    def _bool_op(self, node: BoolOp) -> bool | None:
        values = [self.value(operand) for operand in node.operands]
        if node.op == "and":
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False


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
