"""Load rule-set files, check them completely, and pick the version in force on a date.

A file that fails any check refuses to load with a message naming the file, the criterion and
the position; the registry never holds a partly loaded rule set.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from rules.errors import NoVersionInForce, RuleFileError, UnknownProgram
from rules.expr import Arith, Context, ExpressionError, FactRef, Node, compile_expression, param_type
from rules.facts import FactSchema
from rules.schema import Criterion, Param, RuleSetDocument
from vocabulary.ladder import PROGRAMS_BY_CODE

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class CompiledCriterion:
    id: str
    label: str
    reference: str
    kind: str  # test | all | any | not
    expr: Node | None
    children: tuple[CompiledCriterion, ...]
    advice: str | None

    def walk(self) -> Iterable[CompiledCriterion]:
        yield self
        for child in self.children:
            yield from child.walk()

    def leaves(self) -> Iterable[CompiledCriterion]:
        return (node for node in self.walk() if node.kind == "test")


@dataclass(frozen=True)
class RuleSet:
    document: RuleSetDocument
    file: str
    content_hash: str
    root: CompiledCriterion
    amount: Node | None
    score: Node | None
    depends_on: frozenset[str] = field(default_factory=frozenset)
    components: dict[str, Node] = field(default_factory=dict)  # index parts; score is their sum

    @property
    def program(self) -> str:
        return self.document.program

    @property
    def version(self) -> str:
        return self.document.version

    @property
    def kind(self) -> str:
        return self.document.kind

    @property
    def title(self) -> str:
        declared = PROGRAMS_BY_CODE.get(self.program)
        return declared.title if declared else self.document.title or self.program

    @property
    def key(self) -> str:
        return f"{self.program}/{self.version}"

    def param(self, name: str) -> Param:
        return self.document.params[name]

    def params_on(self, day: date) -> dict[str, Any]:
        return {name: param.value_on(day) for name, param in self.document.params.items()}

    def as_of(self, year: int, evaluation_date: date) -> date:
        """The date facts are measured at: 12-31 of the prior year, or the evaluation date."""
        if self.document.measured_at == "prior_year_end":
            return date(year - 1, 12, 31)
        return evaluation_date


class RuleRegistry:
    """Every loaded rule set, by program, ordered by the date it takes effect."""

    def __init__(self, rulesets: Iterable[RuleSet], facts: FactSchema) -> None:
        self.facts = facts
        self.rejected: list[RuleFileError] = []  # files left out by a non-strict load
        self.by_program: dict[str, list[RuleSet]] = {}
        for ruleset in rulesets:
            self.by_program.setdefault(ruleset.program, []).append(ruleset)
        for versions in self.by_program.values():
            versions.sort(key=lambda r: r.document.effective.from_)

    def programs(self, kind: str | None = None) -> list[str]:
        return sorted(p for p, v in self.by_program.items() if kind is None or v[0].kind == kind)

    def versions(self, program: str) -> list[RuleSet]:
        if program not in self.by_program:
            raise UnknownProgram(program, sorted(self.by_program))
        return list(self.by_program[program])

    def get(self, program: str, version: str) -> RuleSet:
        for ruleset in self.versions(program):
            if ruleset.version == version:
                return ruleset
        raise UnknownProgram(f"{program}/{version}", [r.key for r in self.versions(program)])

    def in_force(self, program: str, day: date) -> RuleSet:
        for ruleset in reversed(self.versions(program)):
            if ruleset.document.in_force_on(day):
                return ruleset
        raise NoVersionInForce(program, day)

    def order(self, rulesets: Iterable[RuleSet]) -> list[RuleSet]:
        """Rule sets in an order where every program comes after those it reads."""
        pending = {r.program: r for r in rulesets}
        ordered: list[RuleSet] = []
        done: set[str] = set()
        while pending:
            ready = sorted(
                p for p, r in pending.items() if r.depends_on <= done | (r.depends_on - set(pending))
            )
            if not ready:  # checked at load time; kept as a guard
                raise RuleFileError(", ".join(sorted(pending)), "评价项目之间存在循环引用")
            for program in ready:
                ordered.append(pending.pop(program))
                done.add(program)
        return ordered


# -- loading -------------------------------------------------------------------------------------


def load_rulesets(directory: Path = DATA_DIR, *, strict: bool = True) -> RuleRegistry:
    """Load every ``<program>/<version>.yaml`` under ``directory``.

    Strict (``tidu rules check``, CI): the first broken file raises RuleFileError. Not strict
    (a running service): broken files, and files that read them, are left out and listed in
    ``registry.rejected``; every other version loads, so a program's previous version stays
    in force instead of a half-checked new one.
    """
    paths = sorted(directory.glob("*/*.yaml"))
    if strict:
        return build_registry([_read_document(path, directory) for path in paths])
    rejected: list[RuleFileError] = []
    documents = []
    for path in paths:
        try:
            documents.append(_read_document(path, directory))
        except RuleFileError as error:
            rejected.append(error)
    while True:
        try:
            registry = build_registry(documents)
        except RuleFileError as error:
            rejected.append(error)
            documents = [(name, doc) for name, doc in documents if name != error.file]
            continue
        registry.rejected = rejected
        return registry


def build_registry(documents: list[tuple[str, RuleSetDocument]]) -> RuleRegistry:
    programs = {doc.program for _, doc in documents}
    awards = {doc.program for _, doc in documents if doc.kind == "award"}
    facts = FactSchema.build(programs=programs, award_programs=awards)
    rulesets = [_compile(name, doc, facts) for name, doc in documents]
    _check_versions(rulesets)
    _check_cycles(rulesets)
    for ruleset in rulesets:
        _check_awards(ruleset, awards)
    return RuleRegistry(rulesets, facts)


def _read_document(path: Path, root: Path) -> tuple[str, RuleSetDocument]:
    name = str(path.relative_to(root.parent)) if root.parent in path.parents else path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f"第{mark.line + 1}行第{mark.column + 1}列" if mark else None
        raise RuleFileError(
            name, f"YAML 格式错误：{getattr(exc, 'problem', exc)}", position=position
        ) from None
    document = parse_document(name, raw)
    if path.parent.name != document.program or path.stem != document.version:
        raise RuleFileError(
            name, f"文件应位于 {document.program}/{document.version}.yaml（与 program、version 一致）"
        )
    return name, document


def parse_document(name: str, raw: Any) -> RuleSetDocument:
    if not isinstance(raw, dict):
        raise RuleFileError(name, "文件内容应为一个规则集（YAML 映射）")
    try:
        return RuleSetDocument.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(p) for p in error["loc"])
        criterion = _criterion_at(raw, error["loc"])
        raise RuleFileError(
            name, f"{location}：{_pydantic_message(error)}", criterion=criterion, position=location
        ) from None


def _pydantic_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "不认识的键"
    if kind == "missing":
        return "缺少必填的键"
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg"))


def _criterion_at(raw: Any, loc: Iterable[Any]) -> str | None:
    node, found = raw, None
    for part in loc:
        if isinstance(node, dict):
            node = node.get(part if part != "not_" else "not")
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
    return found


def content_hash(document: RuleSetDocument) -> str:
    canonical = json.dumps(
        document.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _compile(name: str, document: RuleSetDocument, facts: FactSchema) -> RuleSet:
    param_types = {}
    for param_name, param in document.params.items():
        values = [param.value] if param.values is None else [v.value for v in param.values]
        try:
            types = {param_type(v) for v in values}
        except ValueError as exc:
            raise RuleFileError(name, str(exc), position=f"params.{param_name}") from None
        if len(types) != 1:
            raise RuleFileError(name, "同一参数的各期取值类型不一致", position=f"params.{param_name}")
        param_types[param_name] = types.pop()
    context = Context(facts=facts, params=param_types)
    root = _compile_criterion(name, document.criteria, context, document.reference)
    amount = _compile_extra(name, document.amount.expression if document.amount else None, context, "amount")
    score = _compile_extra(name, document.score, context, "score")
    components = {
        part: node
        for part, spec in (document.components or {}).items()
        if (node := _compile_extra(name, spec.expression, context, f"components.{part}")) is not None
    }
    if components:
        score = functools.reduce(lambda a, b: Arith("number", 1, "+", a, b), components.values())
    depends = {
        ref.name.split(".")[1]
        for node in [*(c.expr for c in root.walk() if c.expr is not None), amount, score]
        if node is not None
        for ref in node.walk()
        if isinstance(ref, FactRef) and ref.name.split(".")[0] in ("result", "award")
    }
    depends |= set(document.excludes)
    if document.program in depends:
        raise RuleFileError(name, "规则不能读取自己在同一次评价中的结果")
    return RuleSet(
        document, name, content_hash(document), root, amount, score, frozenset(depends), components
    )


def _compile_extra(name: str, source: str | None, context: Context, where: str) -> Node | None:
    if source is None:
        return None
    try:
        return compile_expression(source, context, expect="number")
    except ExpressionError as exc:
        raise RuleFileError(name, exc.message, criterion=where, position=f"第{exc.column}列") from None


def _compile_criterion(name: str, node: Criterion, context: Context, reference: str) -> CompiledCriterion:
    expr = None
    if node.test is not None:
        try:
            expr = compile_expression(node.test, context, expect="bool")
        except ExpressionError as exc:
            raise RuleFileError(name, exc.message, criterion=node.id, position=f"第{exc.column}列") from None
    kind = (
        "test"
        if node.test is not None
        else "all"
        if node.all is not None
        else "any"
        if node.any is not None
        else "not"
    )
    children = tuple(
        _compile_criterion(name, child, context, node.reference or reference) for child in node.children
    )
    return CompiledCriterion(
        node.id, node.label, node.reference or reference, kind, expr, children, node.advice
    )


def _check_versions(rulesets: list[RuleSet]) -> None:
    by_program: dict[str, list[RuleSet]] = {}
    for ruleset in rulesets:
        by_program.setdefault(ruleset.program, []).append(ruleset)
    for versions in by_program.values():
        kinds = {r.kind for r in versions}
        if len(kinds) > 1:
            raise RuleFileError(versions[0].file, f"同一项目的各版本类型不一致：{'、'.join(sorted(kinds))}")
        versions.sort(key=lambda r: r.document.effective.from_)
        for earlier, later in itertools.pairwise(versions):
            end = earlier.document.effective.to
            if end is None or end >= later.document.effective.from_:
                raise RuleFileError(
                    later.file, f"生效期与 {earlier.key} 重叠（前一版本须在本版本生效前截止）"
                )


def _check_cycles(rulesets: list[RuleSet]) -> None:
    graph = {r.program: set(r.depends_on) for r in rulesets}
    files = {r.program: r.file for r in rulesets}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(program: str) -> None:
        if program in done:
            return
        if program in visiting:
            cycle = " → ".join([*visiting[visiting.index(program) :], program])
            raise RuleFileError(files[program], f"评价项目之间存在循环引用：{cycle}")
        visiting.append(program)
        for dependency in sorted(graph.get(program, ())):
            if dependency not in graph:
                raise RuleFileError(files[program], f"引用了不存在的项目“{dependency}”")
            visit(dependency)
        visiting.pop()
        done.add(program)

    for program in sorted(graph):
        visit(program)


def _check_awards(ruleset: RuleSet, awards: set[str]) -> None:
    document = ruleset.document
    for excluded in document.excludes:
        if excluded not in awards:
            raise RuleFileError(ruleset.file, f"excludes 中的“{excluded}”不是奖励项目")
    if document.once_per_firm:
        needed = f"history.award.{document.program}.received"
        reads = {
            ref.name
            for c in ruleset.root.walk()
            if c.expr is not None
            for ref in c.expr.walk()
            if isinstance(ref, FactRef)
        }
        if needed not in reads:
            raise RuleFileError(
                ruleset.file, f"once_per_firm 的奖励必须有读取 {needed} 的条件（以前年度未获得）"
            )
