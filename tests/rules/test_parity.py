"""The vectorized evaluator and the single-firm evaluator mean the same thing (property-based).

For every shipped rule set, random facts — missing values, values on and around every threshold
the rule set names, exact anniversaries — are decided by both; every criterion's outcome, the
decision, the criteria still to meet, the amount and the score must agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.batch import evaluate_frame
from rules.evaluate import evaluate_facts
from rules.expr import Const, facts_read
from rules.facts import FactSpec
from rules.ruleset import RuleSet, load_rulesets
from rules.vectorized import typed_column

REGISTRY = load_rulesets()
RULESETS = [r for program in REGISTRY.programs() for r in REGISTRY.versions(program)]
YEAR = 2026
EVALUATION_DATE = date(2026, 6, 30)


def _facts_of(ruleset: RuleSet) -> list[str]:
    nodes = [n.expr for n in ruleset.root.walk() if n.expr is not None]
    nodes += [n for n in (ruleset.amount, ruleset.score) if n is not None]
    return sorted({name for node in nodes for name in facts_read(node)})


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)]
    items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
    return [number for item in items for number in _numbers(item)]


def _edges(ruleset: RuleSet, as_of: date) -> list[float]:
    """Every number the rule set compares with: params, band bounds and values, constants."""
    found = {n for value in ruleset.params_on(as_of).values() for n in _numbers(value)}
    for node in ruleset.root.walk():
        if node.expr is not None:
            found |= {
                float(sub.value)
                for sub in node.expr.walk()
                if isinstance(sub, Const) and sub.type == "number"
            }
    return sorted(found)


def _value(spec: FactSpec, edges: list[float], as_of: date) -> st.SearchStrategy[Any]:
    missing = st.none()
    if spec.type == "bool":
        return st.one_of(missing, st.booleans())
    if spec.type == "str":
        return st.one_of(missing, st.sampled_from(spec.choices or ("teda", "hightech", "jinghai", "x")))
    if spec.type == "date":
        anniversaries = [
            as_of.replace(year=as_of.year - k) + timedelta(days=d) for k in range(0, 16) for d in (-1, 0, 1)
        ]
        return st.one_of(
            missing, st.sampled_from(anniversaries), st.dates(date(1995, 1, 1), date(2027, 12, 31))
        )
    near = [e + d for e in edges for d in (-1.0, 0.0, 1.0)] + [e * f for e in edges for f in (0.999, 1.001)]
    ratios = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 4))
    return st.one_of(
        missing, st.sampled_from(near or [0.0]), st.integers(0, 3_000_000_000).map(float), ratios
    )


def _rows(ruleset: RuleSet) -> st.SearchStrategy[list[dict[str, Any]]]:
    as_of = ruleset.as_of(YEAR, EVALUATION_DATE)
    edges = _edges(ruleset, as_of)
    row = st.fixed_dictionaries(
        {name: _value(REGISTRY.facts.facts[name], edges, as_of) for name in _facts_of(ruleset)}
    )
    return st.lists(row, min_size=1, max_size=20)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    index = pd.RangeIndex(len(rows))
    return pd.DataFrame(
        {
            name: typed_column(
                pd.Series([r.get(name) for r in rows], index=index, dtype="object"), spec.type, index
            )
            for name, spec in REGISTRY.facts.facts.items()
        },
        index=index,
    )


@pytest.mark.parametrize("ruleset", RULESETS, ids=[r.key for r in RULESETS])
def test_both_evaluators_agree(ruleset: RuleSet) -> None:
    as_of = ruleset.as_of(YEAR, EVALUATION_DATE)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rows=_rows(ruleset))
    def check(rows: list[dict[str, Any]]) -> None:
        batch = evaluate_frame(ruleset, _frame(rows), year=YEAR, as_of=as_of, explain_missing=True)
        for i, facts in enumerate(rows):
            single = evaluate_facts(
                ruleset, facts, year=YEAR, as_of=as_of, schema=REGISTRY.facts, advise=False
            )
            got = batch.iloc[i]
            context = f"{ruleset.key} facts={facts}"
            assert got["outcome"] == single.outcome, context
            assert int(got["failing"]) == single.failing, context
            assert (None if pd.isna(got["amount"]) else int(got["amount"])) == single.amount, context
            batch_score = None if pd.isna(got["score"]) else float(got["score"])
            assert (
                batch_score == pytest.approx(single.score)
                if single.score is not None
                else batch_score is None
            ), context
            batch_missing = got["missing"] if isinstance(got["missing"], list) else []
            assert sorted(batch_missing) == sorted(single.missing), context
            for name, value in single.components.items():
                part = got[f"s.{name}"]
                assert (
                    (None if pd.isna(part) else float(part)) == pytest.approx(value)
                    if value is not None
                    else pd.isna(part)
                ), context
            for criterion, outcome in single.trace.outcomes().items():
                assert got[f"c.{criterion}"] == outcome, f"{criterion} {context}"

    check()
