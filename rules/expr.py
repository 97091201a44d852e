"""A small, safe expression language, parsed once with ``ast`` and type-checked at load time.

Allowed: numbers, strings, true/false; declared facts (``filing.revenue_yuan``), ``params.*``,
``as_of`` and ``year``; ``and`` ``or`` ``not``; comparisons (chains too); ``+ - * /``; calls of
registered functions; ``a if cond else b``. Everything else (attribute access beyond facts,
subscripts, lambdas, comprehensions, unknown names or functions, type mismatches) is a load
error naming the position. Nothing is ever evaluated by Python's own ``eval``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from rules.facts import FactSchema
from rules.functions import FUNCTIONS, Function
from rules.memo import per_object

VARIABLES = {"as_of": "date", "year": "number"}
NAMESPACES = {
    "firm",
    "filing",
    "filing_y1",
    "filing_y2",
    "filing_y3",
    "window",
    "cert",
    "history",
    "result",
    "award",
    "input",
}
COMPARE_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
ARITH_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class ExpressionError(Exception):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column  # 1-based column in the expression


@dataclass(frozen=True)
class Node:
    type: str
    column: int = field(compare=False)  # where it was written: two identical calls are one value

    def children(self) -> tuple[Node, ...]:
        return ()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True)
class Const(Node):
    value: Any = None


@dataclass(frozen=True)
class FactRef(Node):
    name: str = ""


@dataclass(frozen=True)
class ParamRef(Node):
    name: str = ""


@dataclass(frozen=True)
class VarRef(Node):
    name: str = ""


@dataclass(frozen=True)
class Not(Node):
    operand: Node = field(default_factory=lambda: Const("bool", 0, False))

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class BoolOp(Node):
    op: str = "and"
    operands: tuple[Node, ...] = ()

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True)
class Compare(Node):
    op: str = "=="
    left: Node = field(default_factory=lambda: Const("number", 0, 0))
    right: Node = field(default_factory=lambda: Const("number", 0, 0))

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Arith(Node):
    op: str = "+"
    left: Node = field(default_factory=lambda: Const("number", 0, 0))
    right: Node = field(default_factory=lambda: Const("number", 0, 0))

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Neg(Node):
    operand: Node = field(default_factory=lambda: Const("number", 0, 0))

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Call(Node):
    function: Function | None = None
    args: tuple[Node, ...] = ()

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True)
class IfElse(Node):
    test: Node = field(default_factory=lambda: Const("bool", 0, False))
    body: Node = field(default_factory=lambda: Const("number", 0, 0))
    orelse: Node = field(default_factory=lambda: Const("number", 0, 0))

    def children(self) -> tuple[Node, ...]:
        return (self.test, self.body, self.orelse)


def param_type(value: Any) -> str:
    """The expression type of a parameter's value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "schedule"
    if isinstance(value, list) and value and all(isinstance(v, list) and len(v) == 2 for v in value):
        return "bands"
    raise ValueError(f"参数值的类型无法识别：{value!r}")


@dataclass(frozen=True)
class Context:
    facts: FactSchema
    params: Mapping[str, str]  # name -> type ("none" for a param without any value)


def compile_expression(source: str, context: Context, *, expect: str | None = None) -> Node:
    """Parse and type-check ``source``; ``expect`` is the type the result must have."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"语法错误：{exc.msg}", exc.offset or 1) from None
    node = _Compiler(context).visit(tree.body)
    if expect is not None and node.type != expect:
        raise ExpressionError(f"表达式结果应为 {expect}，实际为 {node.type}", 1)
    return node


class _Compiler:
    def __init__(self, context: Context) -> None:
        self.context = context

    def visit(self, node: ast.AST) -> Node:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ExpressionError(f"不支持的写法：{type(node).__name__}", _column(node))
        result: Node = method(node)
        return result

    def _Constant(self, node: ast.Constant) -> Node:
        value = node.value
        if isinstance(value, bool):
            return Const("bool", _column(node), value)
        if isinstance(value, int | float):
            return Const("number", _column(node), value)
        if isinstance(value, str):
            return Const("str", _column(node), value)
        raise ExpressionError(f"不支持的常量：{value!r}", _column(node))

    def _Name(self, node: ast.Name) -> Node:
        if node.id in VARIABLES:
            return VarRef(VARIABLES[node.id], _column(node), node.id)
        if node.id in ("true", "false"):
            return Const("bool", _column(node), node.id == "true")
        raise ExpressionError(f"未知的名称“{node.id}”", _column(node))

    def _Attribute(self, node: ast.Attribute) -> Node:
        dotted = _dotted(node)
        if dotted is None:
            raise ExpressionError("只能读取已声明的事实或参数", _column(node))
        head, _, rest = dotted.partition(".")
        if head == "params":
            if rest not in self.context.params:
                raise ExpressionError(f"未声明的参数“{rest}”", _column(node))
            return ParamRef(self.context.params[rest], _column(node), rest)
        if head not in NAMESPACES:
            raise ExpressionError(f"未知的名称“{dotted}”", _column(node))
        spec = self.context.facts.get(dotted)
        if spec is None:
            raise ExpressionError(f"未声明的事实“{dotted}”（tidu rules facts 列出全部事实）", _column(node))
        return FactRef(spec.type, _column(node), dotted)

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        operands = tuple(self._bool(v) for v in node.values)
        return BoolOp("bool", _column(node), "and" if isinstance(node.op, ast.And) else "or", operands)

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        if isinstance(node.op, ast.Not):
            return Not("bool", _column(node), self._bool(node.operand))
        if isinstance(node.op, ast.USub):
            operand = self.visit(node.operand)
            self._require(operand, "number", node.operand)
            if isinstance(operand, Const):
                return Const("number", _column(node), -operand.value)
            return Neg("number", _column(node), operand)
        raise ExpressionError("不支持的一元运算", _column(node))

    def _BinOp(self, node: ast.BinOp) -> Node:
        op = ARITH_OPS.get(type(node.op))
        if op is None:
            raise ExpressionError("只支持 + - * / 四则运算", _column(node))
        left, right = self.visit(node.left), self.visit(node.right)
        self._require(left, "number", node.left)
        self._require(right, "number", node.right)
        return Arith("number", _column(node), op, left, right)

    def _Compare(self, node: ast.Compare) -> Node:
        pairs: list[Node] = []
        left = self.visit(node.left)
        for op_node, right_ast in zip(node.ops, node.comparators, strict=True):
            op = COMPARE_OPS.get(type(op_node))
            if op is None:
                raise ExpressionError("不支持的比较（只支持 < <= > >= == !=）", _column(right_ast))
            right = self.visit(right_ast)
            self._check_comparable(left, right, op, right_ast)
            pairs.append(Compare("bool", _column(node), op, left, right))
            left = right
        return pairs[0] if len(pairs) == 1 else BoolOp("bool", _column(node), "and", tuple(pairs))

    def _Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise ExpressionError("只能调用已注册的函数（按位置传参）", _column(node))
        function = FUNCTIONS.get(node.func.id)
        if function is None:
            raise ExpressionError(
                f"未知的函数“{node.func.id}”（可用：{'、'.join(sorted(FUNCTIONS))}）", _column(node)
            )
        if len(node.args) != len(function.params):
            raise ExpressionError(f"函数 {function.name} 需要 {len(function.params)} 个参数", _column(node))
        args = tuple(self.visit(a) for a in node.args)
        for arg, expected, arg_ast in zip(args, function.params, node.args, strict=True):
            self._require(arg, expected, arg_ast)
        return Call(function.returns, _column(node), function, args)

    def _IfExp(self, node: ast.IfExp) -> Node:
        test = self._bool(node.test)
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        if body.type != orelse.type:
            raise ExpressionError("条件表达式两个分支的类型不同", _column(node))
        return IfElse(body.type, _column(node), test, body, orelse)

    # -- helpers ----------------------------------------------------------------------------

    def _bool(self, node: ast.AST) -> Node:
        compiled = self.visit(node)
        self._require(compiled, "bool", node)
        return compiled

    def _require(self, compiled: Node, expected: str, node: ast.AST) -> None:
        if compiled.type == "none":
            return  # a param no source gives: reads as unknown, whatever its type
        if compiled.type != expected:
            raise ExpressionError(f"类型不符：应为 {expected}，实际为 {compiled.type}", _column(node))

    def _check_comparable(self, left: Node, right: Node, op: str, node: ast.AST) -> None:
        types = {left.type, right.type} - {"none"}
        if len(types) > 1:
            raise ExpressionError(f"不能比较 {left.type} 与 {right.type}", _column(node))
        kind = next(iter(types), "none")
        if kind in ("bool", "str") and op not in ("==", "!="):
            raise ExpressionError(f"{kind} 只能用 == 或 != 比较", _column(node))
        if kind in ("bands", "schedule"):
            raise ExpressionError("分档表只能作为函数参数使用", _column(node))
        for fact, const in ((left, right), (right, left)):
            if isinstance(fact, FactRef) and isinstance(const, Const) and kind == "str":
                choices = self.context.facts.facts[fact.name].choices
                if choices and const.value not in choices:
                    raise ExpressionError(
                        f"“{const.value}”不是 {fact.name} 的取值（{'/'.join(choices)}）", _column(node)
                    )


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _column(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


@per_object
def facts_read(node: Node) -> tuple[str, ...]:
    """Fact names an expression reads, in order of first appearance."""
    seen: dict[str, None] = {}
    for sub in node.walk():
        if isinstance(sub, FactRef):
            seen.setdefault(sub.name)
    return tuple(seen)


@per_object
def params_read(node: Node) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for sub in node.walk():
        if isinstance(sub, ParamRef):
            seen.setdefault(sub.name)
    return tuple(seen)
