"""统一社会信用代码 validation against the published samples and the GB 32100 algorithm."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importers.uscc import (
    ALPHABET,
    UsccStatus,
    already_valid,
    check_char,
    is_enterprise,
    normalize,
    require_accepted,
    validate,
)

SAMPLES = list(
    csv.DictReader((Path(__file__).parent.parent / "fixtures" / "uscc_samples.csv").open(encoding="utf-8"))
)


def test_fixture_holds_all_samples() -> None:
    assert len(SAMPLES) == 39
    assert {row["expected"] for row in SAMPLES} == {"valid", "invalid", "pilot_exception"}


@pytest.mark.parametrize("row", SAMPLES, ids=[r["code"] for r in SAMPLES])
def test_every_sample_classifies_as_published(row: dict[str, str]) -> None:
    result = validate(row["code"])
    assert result.status == UsccStatus(row["expected"])
    assert result.accepted == (row["expected"] != "invalid")
    if row["expected"] == "pilot_exception":
        assert result.warnings
        assert "试点" in result.warnings[0]
    if row["expected"] == "invalid":
        assert result.problems


def test_worked_example_names_the_expected_check_character() -> None:
    # GB 32100 worked example: weighted sum 1640 -> check 3; Z is not even in the alphabet.
    result = validate("91350100M000100Y4Z")
    assert result.status is UsccStatus.invalid
    assert "第18位字符“Z”不合法" in result.problems[0]
    assert validate("91350100M000100Y43").status is UsccStatus.valid
    assert "校验码应为“K”，实际为“M”" in validate("91120116681867885M").problems[0]


def test_normalisation_trims_uppercases_and_folds_full_width() -> None:
    assert normalize("  ９１１２０１１６５９２９３８２０２ｆ ") == "91120116592938202F"
    assert validate("　９１１２０１１６５９２９３８２０２Ｆ").status is UsccStatus.valid


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("9112011659293820", "长度应为18位，实际为16位"),
        ("91120116592938202FF", "长度应为18位，实际为19位"),
        ("91120105O8580586XM", "第9位字符“O”不合法（代码中不使用 I、O、S、V、Z）"),
        ("B1120116592938202F", "第1位登记管理部门代码“B”不存在"),
        ("9112A116592938202F", "第3–8位应为行政区划代码"),
    ],
)
def test_problems_say_what_is_wrong(raw: str, message: str) -> None:
    problems = validate(raw).problems
    assert any(message in p for p in problems), problems


def test_require_accepted_raises_a_chinese_reason_and_returns_the_normalised_code() -> None:
    assert require_accepted("91120116592938202f") == "91120116592938202F"
    assert require_accepted("91350100M0001TGQXM") == "91350100M0001TGQXM"  # pilot: warn, not reject
    with pytest.raises(ValueError, match="校验码应为"):
        require_accepted("91120101MA0CT83X71")


def test_only_enterprise_prefix_is_eligible_for_tiers() -> None:
    assert is_enterprise("91120116592938202F")
    assert not is_enterprise("92120111MA731W486C")  # 个体工商户
    assert not is_enterprise("93120221MA2R9D0G08")  # 农民专业合作社


body = st.text(alphabet=ALPHABET, min_size=10, max_size=10)


@given(district=st.sampled_from(["120101", "120116", "120118"]), body=body)
def test_generated_codes_pass_and_any_single_substitution_fails(district: str, body: str) -> None:
    first17 = f"91{district}{body[:9]}"
    code = first17 + check_char(first17)
    assert validate(code).status is UsccStatus.valid
    # 31 is prime and no weight is 0: every single-character change is detected.
    for position in range(18):
        for replacement in ALPHABET[::7]:
            if replacement != code[position]:
                changed = code[:position] + replacement + code[position + 1 :]
                assert validate(changed).status is UsccStatus.invalid


@given(
    cells=st.lists(
        st.one_of(
            st.builds(lambda b: f"91120118{b[:9]}" + check_char(f"91120118{b[:9]}"), body),  # valid
            st.text(alphabet=ALPHABET + "IOSVZaz ９１", min_size=16, max_size=19),  # mostly wrong
            st.sampled_from([row["code"] for row in SAMPLES]),
            st.floats(allow_nan=False) | st.none(),
        ),
        max_size=40,
    )
)
def test_the_bulk_check_accepts_only_codes_validate_accepts_unchanged(cells: list[object]) -> None:
    """A column is checked in bulk first: nothing it lets through may be a code ``validate`` rejects or rewrites."""
    bulk = already_valid(cells)
    for cell, fine in zip(cells, bulk, strict=True):
        if fine:
            assert isinstance(cell, str)
            check = validate(cell)
            assert check.status is UsccStatus.valid
            assert check.code == cell
        elif isinstance(cell, str) and (validate(cell).status, validate(cell).code) == (
            UsccStatus.valid,
            cell,
        ):
            pytest.fail(f"{cell!r} is valid as written but the bulk check sent it one by one")
