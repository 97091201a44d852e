"""Units of the registry's figures, and how a person reads a value in each.

Money is stored in integer 元 and read in 万元; ratios are stored as fractions and read as %.
Every page, list and message that shows a figure goes through ``show``.
"""

from __future__ import annotations

from enum import StrEnum


class Unit(StrEnum):
    yuan = "yuan"  # stored in 元, shown in 万元 from 1万元 up
    ratio = "ratio"  # stored as a fraction, shown in %
    pieces = "count"  # patents, projects, transformations: 项
    persons = "persons"  # 人
    years = "years"  # 年
    points = "points"  # 分
    none = ""  # codes, levels, flags, dates: no unit


# The word a unit adds after a number, as a person writes it.
UNIT_WORDS: dict[str, str] = {
    Unit.yuan: "元",
    Unit.ratio: "%",
    Unit.pieces: "项",
    Unit.persons: "人",
    Unit.years: "年",
    Unit.points: "分",
    Unit.none: "",
}
# Money is entered and read in 万元 wherever people think in 万元 (forms, templates, workbooks).
MONEY_INPUT_UNIT = "万元"
YUAN_PER_WAN = 10_000


def show(value: float, unit: str) -> str:
    """A figure as users read it: 元 in 万元 (two decimals) from 1万元 up, ratios in %, counts with 项/人."""
    if unit == Unit.yuan:
        if abs(value) < YUAN_PER_WAN:
            return f"{value:,.0f}元"
        return f"{value / YUAN_PER_WAN:,.2f}万元".replace(".00万元", "万元")
    if unit == Unit.ratio:
        return f"{value * 100:.2f}%".replace(".00%", "%")
    if unit in (Unit.pieces, Unit.persons):
        return f"{value:,.0f}{UNIT_WORDS[Unit(unit)]}"
    if unit == Unit.years:
        return f"{value:.2f}年"
    if unit == Unit.points:
        return f"{value:g}分"
    return f"{value:g}"
