"""Every YAML case of every shipped rule set, through the single-firm and the vectorized evaluator."""

from __future__ import annotations

import pytest

from rules.cases import Case, load_cases, run_case
from rules.ruleset import RuleRegistry, load_rulesets

CASES = load_cases()


@pytest.fixture(scope="module")
def registry() -> RuleRegistry:
    return load_rulesets()


def test_every_shipped_rule_set_has_cases(registry: RuleRegistry) -> None:
    covered = {case.ruleset for case in CASES}
    shipped = {ruleset.key for program in registry.programs() for ruleset in registry.versions(program)}
    assert shipped <= covered, f"rule sets without cases: {sorted(shipped - covered)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(registry: RuleRegistry, case: Case) -> None:
    problems = run_case(registry, case)
    assert not problems, "\n".join(problems)
