"""Evaluate an expression over a whole facts frame at once, with the same meaning as ``scalar``.

Numbers are ``Float64`` and booleans ``boolean`` (pandas' nullable dtypes: ``pd.NA`` is
unknown and ``&`` / ``|`` already follow Kleene's rules); dates are ``datetime64`` with
``NaT``. Results are a Series aligned on the frame's index, or a plain scalar when the
expression reads no fact.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from rules.expr import Arith, BoolOp, Call, Compare, Const, FactRef, IfElse, Neg, Node, Not, ParamRef, VarRef
from rules.scalar import _arith as scalar_arith
from rules.scalar import normalise

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
DTYPES = {"number": "Float64", "bool": "boolean", "str": "category", "date": "datetime64[ns]"}


def typed_column(values: Any, kind: str, index: pd.Index | None = None) -> pd.Series:
    """A column in the dtype the evaluator expects for a fact of ``kind``."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, index=index)
    if kind == "date":
        return pd.to_datetime(series, errors="coerce")
    if kind == "number":
        return pd.to_numeric(series, errors="coerce").astype("Float64")
    if kind == "bool":
        return series.astype("boolean")
    # Text facts take a few values (levels, codes): categories compare far faster than strings.
    return series.astype("string").astype("category")


def _scalar(value: Any, kind: str) -> Any:
    """Constants and params in the form columns compare with."""
    value = normalise(value, kind) if kind in DTYPES else value
    if value is None:
        return pd.NA if kind != "date" else pd.NaT
    if kind == "date" and isinstance(value, date):
        return pd.Timestamp(value)
    return value


def _is_missing(value: Any) -> bool:
    return (
        value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))
    )


class FrameEvaluator:
    def __init__(self, frame: pd.DataFrame, params: Mapping[str, Any], variables: Mapping[str, Any]) -> None:
        self.frame = frame
        self.params = params
        self.variables = variables
        self._calls: dict[Node, Any] = {}  # a rule often calls the same function twice (years_since …)

    def value(self, node: Node) -> Any:
        if isinstance(node, Call):
            if node not in self._calls:
                self._calls[node] = self._value(node)
            return self._calls[node]
        return self._value(node)

    def _value(self, node: Node) -> Any:  # noqa: C901 - one branch per node kind, flat on purpose
        if isinstance(node, Const):
            return _scalar(node.value, node.type)
        if isinstance(node, FactRef):
            return self.frame[node.name]
        if isinstance(node, ParamRef):
            value = self.params.get(node.name)
            return _scalar(value, node.type) if node.type in DTYPES else value
        if isinstance(node, VarRef):
            return _scalar(self.variables[node.name], node.type)
        if isinstance(node, Not):
            return self._not(self.value(node.operand))
        if isinstance(node, BoolOp):
            return self._bool_op(node)
        if isinstance(node, Compare):
            return self._compare(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Arith):
            return self._arith(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Neg):
            operand = self.value(node.operand)
            return pd.NA if _is_missing(operand) else -operand
        if isinstance(node, Call):
            assert node.function is not None
            args = [self._call_arg(arg) for arg in node.args]
            result = node.function.vector(*args)
            return _scalar(result, node.type) if not isinstance(result, pd.Series) else result
        if isinstance(node, IfElse):
            return self._if_else(node)
        raise TypeError(f"unknown node {type(node).__name__}")

    def boolean(self, node: Node) -> pd.Series:
        """A boolean column for the whole frame, broadcasting a scalar result."""
        result = self.value(node)
        if isinstance(result, pd.Series):
            return result.astype("boolean")
        return pd.Series(
            pd.NA if _is_missing(result) else bool(result), index=self.frame.index, dtype="boolean"
        )

    def number(self, node: Node) -> pd.Series:
        result = self.value(node)
        if isinstance(result, pd.Series):
            return result.astype("Float64")
        return pd.Series(
            pd.NA if _is_missing(result) else float(result), index=self.frame.index, dtype="Float64"
        )

    # -- pieces --------------------------------------------------------------------------------

    def _call_arg(self, node: Node) -> Any:
        value = self.value(node)
        if isinstance(value, pd.Series) or node.type in ("bands", "schedule", "str"):
            return value
        return None if _is_missing(value) else value

    @staticmethod
    def _not(operand: Any) -> Any:
        if isinstance(operand, pd.Series):
            return ~operand.astype("boolean")
        return pd.NA if _is_missing(operand) else not operand

    def _bool_op(self, node: BoolOp) -> Any:
        values = [self.value(operand) for operand in node.operands]
        result = values[0]
        for value in values[1:]:
            result = _kleene(node.op, result, value)
        if isinstance(result, pd.Series):
            return result.astype("boolean")
        return result

    @staticmethod
    def _compare(op: str, left: Any, right: Any) -> Any:
        if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
            return pd.NA if _is_missing(left) or _is_missing(right) else _OPS[op](left, right)
        series = left if isinstance(left, pd.Series) else right
        if _is_missing(left) or _is_missing(right):
            return pd.Series(pd.NA, index=series.index, dtype="boolean")
        result = _OPS[op](left, right)
        if isinstance(result, pd.Series) and result.dtype == "boolean":
            return result  # nullable numbers already give NA for NA
        # Dates and categories compare missing values as False: unknown is unknown.
        values = pd.Series(result, index=series.index).to_numpy(dtype=bool)
        missing = np.zeros(len(values), dtype=bool)
        for side in (left, right):
            if isinstance(side, pd.Series):
                missing |= side.isna().to_numpy()
        return pd.Series(pd.arrays.BooleanArray(values, missing), index=series.index)

    @staticmethod
    def _arith(op: str, left: Any, right: Any) -> Any:
        if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
            value = scalar_arith(
                op, None if _is_missing(left) else left, None if _is_missing(right) else right
            )
            return pd.NA if value is None else value
        if _is_missing(left) or _is_missing(right):
            series = left if isinstance(left, pd.Series) else right
            return pd.Series(pd.NA, index=series.index, dtype="Float64")
        if op == "/":
            zero = right == 0
            result = left / right
            if isinstance(zero, pd.Series):
                result[zero.fillna(False)] = pd.NA
            elif zero:
                result[:] = pd.NA
        else:
            result = _OPS_ARITH[op](left, right)
        result = result.astype("Float64")
        result[np.isinf(result.to_numpy(dtype=float, na_value=np.nan))] = pd.NA
        return result

    def _if_else(self, node: IfElse) -> Any:
        test = self.value(node.test)
        body, orelse = self.value(node.body), self.value(node.orelse)
        if (
            not isinstance(test, pd.Series)
            and not isinstance(body, pd.Series)
            and not isinstance(orelse, pd.Series)
        ):
            if _is_missing(test):
                return pd.NA
            return body if test else orelse
        mask = self.boolean(node.test)
        dtype = DTYPES.get(node.type, "object")
        yes = _broadcast(body, self.frame.index, dtype)
        no = _broadcast(orelse, self.frame.index, dtype)
        result = yes.where(mask.fillna(False), no)
        result[mask.isna()] = pd.NA if node.type != "date" else pd.NaT
        return result


_OPS_ARITH: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _broadcast(value: Any, index: pd.Index, dtype: str) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype(dtype)
    return pd.Series(value, index=index, dtype=dtype)


def _kleene(op: str, left: Any, right: Any) -> Any:
    if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
        a = None if _is_missing(left) else bool(left)
        b = None if _is_missing(right) else bool(right)
        if op == "and":
            if a is False or b is False:
                return False
            return pd.NA if a is None or b is None else True
        if a is True or b is True:
            return True
        return pd.NA if a is None or b is None else False
    a = (
        left.astype("boolean")
        if isinstance(left, pd.Series)
        else (pd.NA if _is_missing(left) else bool(left))
    )
    b = (
        right.astype("boolean")
        if isinstance(right, pd.Series)
        else (pd.NA if _is_missing(right) else bool(right))
    )
    return (a & b) if op == "and" else (a | b)
