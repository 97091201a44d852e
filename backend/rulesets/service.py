"""The rule sets in use: listing, detail, and the impact of adopting another version."""

from __future__ import annotations

import logging
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from backend.core import clock
from backend.core.errors import NotFound
from backend.rulesets.schemas import CriterionDetail, ParamDetail, RuleSetDetail, RuleSetSummary
from rules.errors import RuleError
from rules.evaluate import provisional_params, render
from rules.ruleset import DATA_DIR, CompiledCriterion, RuleRegistry, RuleSet, load_rulesets

log = logging.getLogger("tidu.rules")


@lru_cache(maxsize=4)
def registry(directory: Path = DATA_DIR) -> RuleRegistry:
    """Rule sets from ``directory``. A broken file is left out (and logged, and shown by
    ``/api/health``), so its program's previous version stays in force; ``tidu rules check``
    and CI load strictly and fail on it."""
    loaded = load_rulesets(directory, strict=False)
    for error in loaded.rejected:
        log.error("rule file refused: %s", error)
    return loaded


@lru_cache(maxsize=256)  # lists call it per row; rule sets are loaded once per process
def program_title(program: str) -> str:
    """A program's Chinese title from its newest rule set (the code itself when unknown)."""
    try:
        return registry().versions(program)[-1].title
    except RuleError:
        return program


def rejected() -> list[str]:
    return [str(error) for error in registry().rejected]


def summary(ruleset: RuleSet) -> RuleSetSummary:
    today = clock.today()
    document = ruleset.document
    return RuleSetSummary(
        program=ruleset.program, kind=ruleset.kind, title=ruleset.title, version=ruleset.version,
        effective_from=document.effective.from_, effective_to=document.effective.to, reference=document.reference,
        in_force_today=document.in_force_on(today),
        provisional_params=sum(1 for p in document.params.values() if p.status == "provisional"),
        enabled=document.enabled, content_hash=ruleset.content_hash,
    )  # fmt: skip


def list_rulesets() -> list[RuleSetSummary]:
    rules = registry()
    return [summary(r) for program in rules.programs() for r in rules.versions(program)]


def ruleset_detail(program: str, version: str) -> RuleSetDetail:
    try:
        ruleset = registry().get(program, version)
    except RuleError as exc:
        raise NotFound(str(exc), program=program, version=version) from None
    document = ruleset.document
    params = [
        ParamDetail(
            name=name, value=param.value,
            values=[{"from": v.from_.isoformat(), "value": v.value} for v in param.values] if param.values else None,
            reference=param.reference, status=param.status, unit=param.unit, note=param.note,
        )
        for name, param in document.params.items()
    ]  # fmt: skip
    return RuleSetDetail(
        **summary(ruleset).model_dump(), measured_at=document.measured_at, description=document.description,
        params=params, criteria=_criterion(ruleset.root),
        amount=document.amount.expression if document.amount else None,
        amount_cap_param=document.amount.cap_param if document.amount else None, score=document.score,
        once_per_firm=document.once_per_firm, excludes=document.excludes, depends_on=sorted(ruleset.depends_on),
    )  # fmt: skip


def _criterion(node: CompiledCriterion) -> CriterionDetail:
    return CriterionDetail(
        id=node.id, label=node.label, reference=node.reference, kind=node.kind,
        test=render(node.expr) if node.expr is not None else None, advice=node.advice,
        children=[_criterion(child) for child in node.children],
    )  # fmt: skip


def provisional_of(ruleset: RuleSet) -> list[Any]:
    return provisional_params(ruleset, ruleset.params_on(clock.today()))


@cache
def criterion_tree(program: str, version: str) -> CompiledCriterion | None:
    """The compiled criteria of a loaded version (None when it is not loaded)."""
    try:
        return registry().get(program, version).root
    except RuleError:
        return None


def criterion_labels(program: str, *versions: str) -> dict[str, str]:
    """Criterion id → label over the given versions of ``program``, in rule-set order (a later
    version's label wins; {} for versions not loaded)."""
    labels: dict[str, str] = {}
    for version in versions:
        root = criterion_tree(program, version)
        if root is not None:
            labels |= {node.id: node.label for node in root.walk()}
    return labels


def param_changes(
    program: str, old_version: str, new_version: str
) -> list[tuple[str, ParamDetail | None, ParamDetail | None]]:
    """(name, old, new) of every param whose value, schedule or status differs between two versions."""
    old = {p.name: p for p in ruleset_detail(program, old_version).params}
    new = {p.name: p for p in ruleset_detail(program, new_version).params}
    changes = []
    for name in [*old, *(n for n in new if n not in old)]:
        before, after = old.get(name), new.get(name)
        if (
            before is None
            or after is None
            or (before.value, before.values, before.status, before.unit)
            != (after.value, after.values, after.status, after.unit)
        ):
            changes.append((name, before, after))
    return changes
