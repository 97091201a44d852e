"""``known(x)``: the one test that is never unknown, so a figure can decide when it is given.

``a if known(filing.x) else b`` reads ``a`` when the figure is filed and ``b`` otherwise; both
evaluators agree, and a missing figure still never passes by itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from rules.batch import evaluate_frame
from rules.errors import RuleFileError
from rules.evaluate import evaluate_facts
from rules.functions import FUNCTIONS
from rules.ruleset import build_registry, parse_document
from rules.vectorized import typed_column
from tests.rules.test_loader import load, with_test

AS_OF = date(2025, 12, 31)
# Revenue decides when filed; without it, employees do (a stand-in for "the experts' total, else the
# interval from the sub-scores").
PREFERS_REVENUE = (
    "(filing.revenue_yuan >= params.min_revenue_yuan) if known(filing.revenue_yuan)"
    " else filing.employees >= 10"
)


def test_known_is_true_or_false_never_unknown_on_one_value_and_on_a_column() -> None:
    known = FUNCTIONS["known"]
    assert (known.scalar(None), known.scalar(0.0), known.scalar(71.0)) == (False, True, True)
    column = known.vector(pd.Series([None, 0.0, 71.0], dtype="Float64"))
    assert column.dtype == "boolean"
    assert column.tolist() == [False, True, True]
    assert (known.vector(None), known.vector(pd.NA), known.vector(5.0)) == (False, False, True)


@pytest.mark.parametrize(
    ("facts", "outcome"),
    [
        ({"filing.revenue_yuan": 100_000, "filing.employees": 1}, "eligible"),  # given: it decides
        ({"filing.revenue_yuan": 99_999, "filing.employees": 50}, "ineligible"),  # given: it decides
        ({"filing.employees": 10}, "eligible"),  # not given: the other path decides
        ({"filing.employees": 9}, "ineligible"),
        ({}, "unknown"),  # neither: unknown, never a pass
    ],
)
def test_a_figure_decides_when_given_and_the_other_path_otherwise_in_both_evaluators(
    facts: dict[str, Any], outcome: str
) -> None:
    registry = build_registry(
        [("broken/0.yaml", parse_document("broken/0.yaml", with_test(PREFERS_REVENUE)))]
    )
    ruleset = registry.get("broken", "1")
    single = evaluate_facts(ruleset, facts, year=2026, as_of=AS_OF, schema=registry.facts)
    index = pd.RangeIndex(1)
    frame = pd.DataFrame(
        {
            name: typed_column(pd.Series([facts.get(name)], index=index, dtype="object"), spec.type, index)
            for name, spec in registry.facts.facts.items()
        },
        index=index,
    )
    batch = evaluate_frame(ruleset, frame, year=2026, as_of=AS_OF)
    assert single.outcome == outcome
    assert batch.iloc[0]["outcome"] == outcome


def test_known_takes_a_number() -> None:
    with pytest.raises(RuleFileError) as raised:
        load(with_test("known(firm.registered_on)"))
    assert "类型不符" in raised.value.message
