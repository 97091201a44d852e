"""Chinese financial capitals: a table of known amounts, and a parser written here to read them back."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exports.capitals import yuan_capitals

KNOWN: list[tuple[int | Decimal, str]] = [
    (0, "零元整"),
    (1, "壹元整"),
    (10, "壹拾元整"),
    (11, "壹拾壹元整"),
    (20, "贰拾元整"),
    (100, "壹佰元整"),
    (101, "壹佰零壹元整"),
    (110, "壹佰壹拾元整"),
    (1005, "壹仟零伍元整"),
    (1010, "壹仟零壹拾元整"),
    (1100, "壹仟壹佰元整"),
    (10_000, "壹万元整"),
    (10_001, "壹万零壹元整"),
    (10_010, "壹万零壹拾元整"),
    (10_100, "壹万零壹佰元整"),
    (11_000, "壹万壹仟元整"),
    (30_200, "叁万零贰佰元整"),
    (100_000, "壹拾万元整"),
    (105_000, "壹拾万伍仟元整"),  # 万位 0, 仟位 not: the optional 零 is left out
    (150_000, "壹拾伍万元整"),
    (400_070, "肆拾万零柒拾元整"),
    (1_000_000, "壹佰万元整"),
    (1_000_001, "壹佰万零壹元整"),
    (10_000_000, "壹仟万元整"),
    (10_010_000, "壹仟零壹万元整"),
    (100_000_000, "壹亿元整"),
    (100_000_001, "壹亿零壹元整"),
    (100_010_000, "壹亿零壹万元整"),
    (101_000_000, "壹亿零壹佰万元整"),
    (110_000_000, "壹亿壹仟万元整"),
    (1_200_000_000, "壹拾贰亿元整"),
    (1_000_000_000_000, "壹万亿元整"),
    (1_000_100_000_000, "壹万零壹亿元整"),
    (98_765_432_109, "玖佰捌拾柒亿陆仟伍佰肆拾叁万贰仟壹佰零玖元整"),
    (Decimal("100.00"), "壹佰元整"),
    (Decimal("0.5"), "伍角"),
    (Decimal("0.05"), "伍分"),
    (Decimal("0.55"), "伍角伍分"),
    (Decimal("1.05"), "壹元零伍分"),
    (Decimal("1.50"), "壹元伍角"),
    (Decimal("1000.5"), "壹仟元伍角"),
    (Decimal("10000.01"), "壹万元零壹分"),
    (Decimal("6007.14"), "陆仟零柒元壹角肆分"),
    (Decimal("1234567.89"), "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    (Decimal("107000.53"), "壹拾万柒仟元伍角叁分"),  # the PBOC rule's own example, 零 left out
    (Decimal("1680.32"), "壹仟陆佰捌拾元叁角贰分"),
]

DIGITS = {ch: value for value, ch in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNITS = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(text: str) -> Decimal:
    """An independent reader of capitals, the way a person sums the places."""
    completed = under_yi = section = digit = 0
    yuan = jiao = fen = 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += digit * SMALL_UNITS[ch]
            digit = 0
        elif ch == "万":
            under_yi += (section + digit) * 10**4
            section = digit = 0
        elif ch == "亿":
            completed = (completed + under_yi + section + digit) * 10**8
            under_yi = section = digit = 0
        elif ch == "元":
            yuan = completed + under_yi + section + digit
            digit = 0
        elif ch == "角":
            jiao, digit = digit, 0
        elif ch == "分":
            fen, digit = digit, 0
        else:
            assert ch == "整", ch
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


@pytest.mark.parametrize(("amount", "expected"), KNOWN)
def test_known_amounts(amount: int | Decimal, expected: str) -> None:
    assert yuan_capitals(amount) == expected


def test_the_table_agrees_with_the_parser() -> None:
    for amount, text in KNOWN:
        assert parse_capitals(text) == Decimal(amount)


@given(st.integers(min_value=0, max_value=10**16 - 1))
def test_whole_yuan_read_back(amount: int) -> None:
    text = yuan_capitals(amount)
    assert parse_capitals(text) == amount
    assert text.endswith("元整")
    assert_well_formed(text)


@given(st.integers(min_value=1, max_value=10**14 - 1))
def test_yuan_with_jiao_and_fen_read_back(fen: int) -> None:
    amount = Decimal(fen) / 100
    text = yuan_capitals(amount)
    assert parse_capitals(text) == amount
    assert text.endswith("整") == (fen % 100 == 0)
    assert_well_formed(text)


def assert_well_formed(text: str) -> None:
    """One 零 per run of zeros, never before a unit or at the end of the yuan part."""
    assert "零零" not in text
    assert not re.search("零[万亿元角分拾佰仟整]", text.removeprefix("零元整"))
    assert not re.match("[拾佰仟万亿]", text)  # 壹拾万, never 拾万


@pytest.mark.parametrize("amount", [-1, Decimal("-0.01"), Decimal("1.005"), 10**16])
def test_refuses_what_is_not_an_amount(amount: int | Decimal) -> None:
    with pytest.raises(ValueError, match="金额"):
        yuan_capitals(amount)


def test_refuses_floats_and_booleans() -> None:
    with pytest.raises(ValueError, match="金额"):
        yuan_capitals(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="金额"):
        yuan_capitals(True)
