"""A broken rule file refuses to load, naming the file, the criterion and the position."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.errors import RuleFileError
from rules.evaluate import evaluate_facts
from rules.ruleset import build_registry, load_rulesets, parse_document

BASE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "invalid" / "_base.yaml").read_text(encoding="utf-8")
)


def with_test(expression: str) -> dict[str, Any]:
    document: dict[str, Any] = copy.deepcopy(BASE)
    document["criteria"]["all"][0]["test"] = expression
    return document


def load(*documents: dict[str, Any]) -> None:
    build_registry(
        [(f"broken/{i}.yaml", parse_document(f"broken/{i}.yaml", d)) for i, d in enumerate(documents)]
    )


def test_the_base_file_itself_loads() -> None:
    load(BASE)


@pytest.mark.parametrize(
    ("expression", "message", "position"),
    [
        ("filing.revenue >= 1", "未声明的事实“filing.revenue”", "第1列"),
        ("filing.revenue_yuan >= params.min_revenu", "未声明的参数“min_revenu”", "第24列"),
        ("filing.revenue_yuan >= 1 and fancy(1)", "未知的函数“fancy”", "第30列"),
        ("filing.revenue_yuan >= '10万'", "不能比较 number 与 str", "第24列"),
        ("filing.revenue_yuan + 1", "表达式结果应为 bool", "第1列"),
        ("firm.registered_on.year > 2000", "未声明的事实", "第1列"),
        ("[x for x in (1, 2)]", "不支持的写法：ListComp", "第1列"),
        ("__import__('os')", "未知的函数“__import__”", "第1列"),
        ("filing.contest_level == 'galactic'", "“galactic”不是 filing.contest_level 的取值", "第25列"),
        ("filing.revenue_yuan >=", "语法错误", None),
        ("filing.abnormal_operation < true", "bool 只能用 == 或 != 比较", "第29列"),
    ],
)
def test_bad_expressions_are_load_errors_with_criterion_and_position(
    expression: str, message: str, position: str | None
) -> None:
    with pytest.raises(RuleFileError) as raised:
        load(with_test(expression))
    error = raised.value
    assert error.file == "broken/0.yaml"
    assert error.criterion == "revenue"
    assert message in error.message
    if position:
        assert error.position == position


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(unknown_key=1), "不认识的键"),
        (lambda d: d["effective"].update({"from": "not-a-date"}), "effective.from"),
        (
            lambda d: d["criteria"]["all"][0].update(any=[{"id": "x", "label": "x", "test": "true"}]),
            "有且只有",
        ),
        (lambda d: d["params"]["min_revenue_yuan"].pop("reference"), "reference"),
        (lambda d: d["params"]["min_revenue_yuan"].update(status="maybe"), "status"),
        (
            lambda d: d["criteria"]["all"].append({"id": "revenue", "label": "重复", "test": "true"}),
            "条件 id 重复",
        ),
        (lambda d: d.update(kind="award"), "必须有 amount"),
    ],
)
def test_bad_documents_are_load_errors(change: Any, message: str) -> None:
    document: dict[str, Any] = copy.deepcopy(BASE)
    change(document)
    with pytest.raises(RuleFileError) as raised:
        load(document)
    assert message in str(raised.value)


def test_a_criterion_deep_in_the_tree_is_named() -> None:
    document: dict[str, Any] = copy.deepcopy(BASE)
    document["criteria"]["all"].append(
        {"id": "group", "label": "组", "any": [{"id": "deep", "label": "深", "test": "nope > 1"}]}
    )
    with pytest.raises(RuleFileError) as raised:
        load(document)
    assert raised.value.criterion == "deep"


def _award(program: str, amount: str, **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = (
        copy.deepcopy(BASE) | {"program": program, "kind": "award", "amount": {"expression": amount}} | extra
    )
    document["criteria"] = {"id": "root", "label": "条件", "test": "true"}
    return document


def test_a_cycle_between_award_programs_is_refused() -> None:
    first = _award("first_award", "award.second_award.amount")
    second = _award("second_award", "award.first_award.amount")
    with pytest.raises(RuleFileError, match="循环引用"):
        load(first, second)


def test_once_per_firm_must_be_a_rule() -> None:
    with pytest.raises(RuleFileError, match="once_per_firm"):
        load(_award("lonely_award", "10000", once_per_firm=True))
    fixed = _award("lonely_award", "10000", once_per_firm=True)
    fixed["criteria"] = {
        "id": "once",
        "label": "以前未获得",
        "test": "not history.award.lonely_award.received",
    }
    load(fixed)


def test_overlapping_versions_are_refused() -> None:
    newer = copy.deepcopy(BASE) | {"version": "2", "effective": {"from": "2022-01-01", "to": None}}
    with pytest.raises(RuleFileError, match="生效期与 broken/1 重叠"):
        load(BASE, newer)
    ended = copy.deepcopy(BASE) | {"effective": {"from": "2021-01-01", "to": "2021-12-31"}}
    load(ended, newer)


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "broken"
    folder.mkdir(parents=True)
    (folder / "1.yaml").write_text("program: broken\nkind: [tier\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_rulesets(tmp_path / "data")
    assert "YAML 格式错误" in raised.value.message
    assert raised.value.position is not None
    assert "行" in raised.value.position


def test_a_file_must_sit_where_its_program_and_version_say(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "elsewhere"
    folder.mkdir(parents=True)
    (folder / "1.yaml").write_text(yaml.safe_dump(BASE, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"broken/1\.yaml"):
        load_rulesets(tmp_path / "data")


def test_a_threshold_nobody_confirmed_never_passes() -> None:
    document = with_test("unconfirmed('标准未公布')")
    registry = build_registry([("broken/0.yaml", parse_document("broken/0.yaml", document))])
    ruleset = registry.get("broken", "1")
    decision = evaluate_facts(ruleset, {}, year=2026, as_of=date(2025, 12, 31), schema=registry.facts)
    assert decision.outcome == "unknown"


def test_a_broken_new_version_leaves_the_previous_one_in_force(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "broken"
    folder.mkdir(parents=True)
    old = copy.deepcopy(BASE) | {"effective": {"from": "2021-01-01", "to": "2025-12-31"}}
    new = with_test("filing.revenue_yuan >= params.nonexistent") | {
        "version": "2",
        "effective": {"from": "2026-01-01", "to": None},
    }
    (folder / "1.yaml").write_text(yaml.safe_dump(old, allow_unicode=True), encoding="utf-8")
    (folder / "2.yaml").write_text(yaml.safe_dump(new, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleFileError):
        load_rulesets(tmp_path / "data")  # strict: CI and `tidu rules check` fail
    registry = load_rulesets(tmp_path / "data", strict=False)  # a running service keeps going
    assert [r.version for r in registry.versions("broken")] == ["1"]
    assert registry.rejected[0].file.endswith("2.yaml")
    assert "nonexistent" in str(registry.rejected[0])


def test_a_file_reading_a_missing_program_is_refused() -> None:
    dependent = _award("needs_other", "award.other_award.amount")
    with pytest.raises(RuleFileError, match=r"未声明的事实“award\.other_award\.amount”"):
        load(dependent)
