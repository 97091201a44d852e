"""The vectorized evaluator: one program over a whole facts frame, outcomes per firm and criterion."""

from __future__ import annotations

from datetime import date
from functools import reduce

import numpy as np
import pandas as pd

from rules.expr import Node, facts_read
from rules.ruleset import CompiledCriterion, RuleSet
from rules.vectorized import FrameEvaluator

CATEGORIES = ["fail", "pass", "unknown"]
OUTCOME_CATEGORIES = ["ineligible", "eligible", "unknown"]


def _codes(series: pd.Series) -> np.ndarray:
    """0 fail, 1 pass, 2 unknown."""
    codes: np.ndarray = series.astype("boolean").array.to_numpy(dtype=np.int8, na_value=2)
    return codes


def evaluate_frame(
    ruleset: RuleSet, frame: pd.DataFrame, *, year: int, as_of: date, explain_missing: bool = False
) -> pd.DataFrame:
    """Columns: ``outcome``; ``failing``, the fewest criteria still to meet (0 when it passes);
    ``amount``; ``score``; and ``c.<id>`` (pass / fail / unknown) per criterion. With
    ``explain_missing``, ``missing`` lists the facts that left an unknown decision open."""
    params = ruleset.params_on(as_of)
    evaluator = FrameEvaluator(frame, params, {"as_of": as_of, "year": year})
    outcomes: dict[str, pd.Series] = {}
    root, failing = _visit(ruleset.root, evaluator, outcomes)
    criteria_codes = _codes(root)
    eligible = criteria_codes == 1
    codes, amount, score = _finish(ruleset, evaluator, params, criteria_codes)
    result = pd.DataFrame(
        {
            "outcome": pd.Categorical.from_codes(codes, OUTCOME_CATEGORIES),
            "failing": failing,
            "amount": amount,
            "score": score,
            **{f"c.{c}": pd.Categorical.from_codes(_codes(s), CATEGORIES) for c, s in outcomes.items()},
        },
        index=frame.index,
    )
    for name, node in ruleset.components.items():  # index parts, where the score is given
        result[f"s.{name}"] = evaluator.number(node).where(result["score"].notna())
    if explain_missing:
        missing = _missing(ruleset, frame, outcomes, criteria_codes == 2)
        if ruleset.amount is not None and ruleset.document.enabled:
            missing = _amount_missing(ruleset.amount, frame, missing, eligible & amount.isna().to_numpy())
        result["missing"] = missing
    return result


def _visit(
    node: CompiledCriterion, evaluator: FrameEvaluator, outcomes: dict[str, pd.Series]
) -> tuple[pd.Series, np.ndarray]:
    """The node's outcome and how many criteria must still be met to pass it (as ``evaluate.to_fix``)."""
    size = len(evaluator.frame)
    if node.kind == "test":
        assert node.expr is not None
        result = evaluator.boolean(node.expr)
        to_fix = np.ones(size, dtype=np.int32)
    else:
        visited = [_visit(child, evaluator, outcomes) for child in node.children]
        values = [v[0] for v in visited]
        if node.kind == "all":
            result = reduce(lambda a, b: a & b, values)
            to_fix = reduce(np.add, [v[1] for v in visited])
        elif node.kind == "any":
            result = reduce(lambda a, b: a | b, values)
            to_fix = reduce(np.minimum, [v[1] for v in visited])
        else:
            result = ~values[0]
            to_fix = np.ones(size, dtype=np.int32)
    outcomes[node.id] = result
    passed = result.array.to_numpy(dtype=bool, na_value=False)
    return result, np.where(passed, 0, to_fix).astype(np.int32)


def _finish(
    ruleset: RuleSet, evaluator: FrameEvaluator, params: dict[str, object], codes: np.ndarray
) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Outcome codes after amounts and scores (as ``evaluate._finish``): disabled → unknown."""
    index = evaluator.frame.index
    amount = pd.Series(pd.NA, index=index, dtype="Int64")
    score = pd.Series(pd.NA, index=index, dtype="Float64")
    eligible = codes == 1
    if not ruleset.document.enabled:
        return np.full_like(codes, 2), amount, score
    if ruleset.amount is not None:
        amount = _amounts(ruleset, evaluator, params).where(pd.Series(eligible, index=index))
        codes = np.where(eligible & amount.isna().to_numpy(), 2, codes).astype(np.int8)
    if ruleset.score is not None:
        score = evaluator.number(ruleset.score).where(pd.Series(eligible, index=index))
    return codes, amount, score


def _amount_missing(amount: Node, frame: pd.DataFrame, missing: pd.Series, open_: np.ndarray) -> pd.Series:
    """Add the amount's missing inputs for firms whose criteria pass but whose amount is unknown."""
    for i in np.flatnonzero(open_):
        names = [name for name in facts_read(amount) if pd.isna(frame[name].iloc[i])]
        if names:
            missing.iloc[i] = sorted(set(missing.iloc[i] or []) | set(names))
    return missing


def _missing(
    ruleset: RuleSet, frame: pd.DataFrame, outcomes: dict[str, pd.Series], unknown: np.ndarray
) -> pd.Series:
    """For undecided firms: the missing facts read by criteria that are unknown (as the single-firm trace)."""
    missing = pd.Series(None, index=frame.index, dtype="object")
    if not unknown.any():
        return missing
    masks: dict[str, np.ndarray] = {}
    for leaf in ruleset.root.leaves():
        assert leaf.expr is not None
        open_ = outcomes[leaf.id].isna().to_numpy() & unknown
        for name in facts_read(leaf.expr):
            hit = open_ & frame[name].isna().to_numpy()
            masks[name] = masks.get(name, np.zeros(len(frame), dtype=bool)) | hit
    names = sorted(masks)
    matrix = np.column_stack([masks[n] for n in names]) if names else np.zeros((len(frame), 0), dtype=bool)
    rows = np.flatnonzero(unknown)
    missing.iloc[rows] = [[names[j] for j in np.flatnonzero(matrix[i])] for i in rows]
    return missing


def _amounts(ruleset: RuleSet, evaluator: FrameEvaluator, params: dict[str, object]) -> pd.Series:
    """Whole 元, half up, never negative, within the declared cap (as ``evaluate.amount_of``)."""
    assert ruleset.amount is not None
    values = evaluator.number(ruleset.amount)
    rounded = np.floor(values.to_numpy(dtype=float, na_value=np.nan) + 0.5)
    document_amount = ruleset.document.amount
    if document_amount is not None and document_amount.cap_param is not None:
        cap = params.get(document_amount.cap_param)
        rounded = np.full_like(rounded, np.nan) if cap is None else np.minimum(rounded, float(cap))  # type: ignore[arg-type]
    rounded = np.maximum(rounded, 0.0)
    result = pd.Series(rounded, index=values.index, dtype="Float64").round().astype("Int64")
    result[values.isna()] = pd.NA
    return result
