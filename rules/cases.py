"""Test cases as data: facts → expected outcome per criterion, run through BOTH evaluators.

A case file (``rules/cases/<program>/<name>.yaml``)::

    ruleset: seedling/2021
    year: 2026                      # the application year
    evaluation_date: 2026-06-30     # optional, for rules measured at the evaluation date
    defaults: {firm.is_enterprise: true, ...}   # flat facts shared by the cases
    cases:
      - name: 恰满8年（含本数）
        facts: {firm.registered_on: 2017-12-31}  # flat facts over the defaults (absent = unknown)
        expect: {seedling: eligible, age: pass}

Instead of ``facts``, a case may give ``raw`` (a facts document, see ``facts_file``) to go
through fact derivation too. ``expect`` keys: the program name (eligible / ineligible /
unknown), criterion ids (pass / fail / unknown), ``amount``, ``score``, ``failing``,
``missing`` (facts), ``provisional`` (param names) and ``advice`` (text the advice contains).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from rules.batch import evaluate_frame
from rules.evaluate import Decision, evaluate_facts
from rules.facts_file import parse_facts, to_raw
from rules.ruleset import RuleRegistry, RuleSet
from rules.run import evaluate_one, evaluate_registry
from rules.vectorized import typed_column

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    ruleset: str  # program/version
    year: int
    evaluation_date: date
    facts: Mapping[str, Any] | None
    raw: Mapping[str, Any] | None
    expect: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}: {self.name}"


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    cases = []
    for path in sorted(directory.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = str(path.relative_to(directory))
        year = int(document["year"])
        evaluation_date = document.get("evaluation_date") or date(year, 6, 30)
        defaults, raw_defaults = document.get("defaults") or {}, document.get("raw_defaults")
        for case in document["cases"]:
            facts = None if "raw" in case else {**defaults, **(case.get("facts") or {})}
            raw = _merge(raw_defaults or {}, case["raw"]) if "raw" in case else None
            cases.append(
                Case(
                    name,
                    case["name"],
                    case.get("ruleset", document["ruleset"]),
                    year,
                    evaluation_date,
                    facts,
                    raw,
                    case["expect"],
                )
            )
    return cases


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = (
            _merge(merged[key], value)
            if isinstance(value, dict) and isinstance(merged.get(key), dict)
            else value
        )
    return merged


def run_case(registry: RuleRegistry, case: Case) -> list[str]:
    """Problems found (empty when the case passes), for each evaluator separately."""
    program, version = case.ruleset.split("/")
    ruleset = registry.get(program, version)
    if case.raw is not None:
        return _run_raw(registry, ruleset, case)
    assert case.facts is not None
    as_of = ruleset.as_of(case.year, case.evaluation_date)
    decision = evaluate_facts(ruleset, case.facts, year=case.year, as_of=as_of, schema=registry.facts)
    frame = _frame(registry, case.facts)
    batch = evaluate_frame(ruleset, frame, year=case.year, as_of=as_of, explain_missing=True)
    return _check_single(case, ruleset, decision) + _check_batch(case, ruleset, batch.iloc[0])


def _run_raw(registry: RuleRegistry, ruleset: RuleSet, case: Case) -> list[str]:
    assert case.raw is not None
    raw = to_raw(parse_facts(case.raw))
    pinned = {ruleset.program: ruleset.version}
    decisions = evaluate_one(registry, raw, year=case.year, evaluation_date=case.evaluation_date,
                             programs=[ruleset.program], versions=pinned)  # fmt: skip
    batch = evaluate_registry(registry, raw, year=case.year, evaluation_date=case.evaluation_date,
                              programs=[ruleset.program], versions=pinned, explain_missing=True)  # fmt: skip
    row = batch.results[ruleset.program][1].iloc[0]
    return _check_single(case, ruleset, decisions[ruleset.program]) + _check_batch(case, ruleset, row)


def _frame(registry: RuleRegistry, facts: Mapping[str, Any]) -> pd.DataFrame:
    index = pd.Index([1], name="firm_id")
    columns = {}
    for name, spec in registry.facts.facts.items():
        columns[name] = typed_column(
            pd.Series([facts.get(name)], index=index, dtype="object"), spec.type, index
        )
    return pd.DataFrame(columns, index=index)


def _single_value(key: str, ruleset: RuleSet, decision: Decision) -> tuple[bool, Any]:
    """The decision's value for an ``expect`` key; False when the key names nothing."""
    outcomes = decision.trace.outcomes()
    values: dict[str, Any] = {
        ruleset.program: decision.outcome,
        "amount": decision.amount,
        "score": decision.score,
        "failing": decision.failing,
        "missing": sorted(decision.missing),
        "provisional": sorted(p.name for p in decision.provisional),
    }
    if key in values:
        return True, values[key]
    return (True, outcomes[key]) if key in outcomes else (False, None)


def _check_single(case: Case, ruleset: RuleSet, decision: Decision) -> list[str]:
    problems = []
    for key, expected in case.expect.items():
        if key == "advice":
            text = " / ".join(step.text for step in (decision.advice.steps if decision.advice else ()))
            if str(expected) not in text:
                problems.append(f"单户评价 advice：应包含“{expected}”，实际“{text}”")
            continue
        known, actual = _single_value(key, ruleset, decision)
        if not known:
            problems.append(f"expect 中的“{key}”不是 {ruleset.key} 的条件")
            continue
        wanted = sorted(expected) if key in ("missing", "provisional") else expected
        if not _same(actual, wanted):
            problems.append(f"单户评价 {key}：应为 {expected!r}，实际 {actual!r}\n{decision.trace.explain()}")
    return problems


def _check_batch(case: Case, ruleset: RuleSet, row: pd.Series) -> list[str]:
    problems = []
    for key, expected in case.expect.items():
        if key == ruleset.program:
            actual: Any = row["outcome"]
        elif key in ("amount", "score", "failing"):
            actual = None if pd.isna(row[key]) else row[key]
        elif key == "missing":
            actual = sorted(row["missing"]) if isinstance(row["missing"], list) else []
            expected = sorted(expected)
        elif f"c.{key}" in row.index:
            actual = row[f"c.{key}"]
        else:
            continue  # provisional and advice are single-firm explanations
        if not _same(actual, expected):
            problems.append(f"批量评价 {key}：应为 {expected!r}，实际 {actual!r}")
    return problems


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and actual is not None:
        return math.isclose(float(actual), expected, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, int) and not isinstance(expected, bool) and actual is not None:
        return float(actual) == float(expected)
    return bool(actual == expected)
