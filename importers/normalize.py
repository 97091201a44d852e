"""Cell values as bureaus write them → typed values, or the reason they cannot be read.

Every converter takes the raw cell (number, text, date …) and returns ``(value, problem)``:
``value`` None with ``problem`` None means an empty cell; a problem is a Chinese sentence.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's 1900-02-29
# 无 is blank-like for numbers, dates and text (design §6); yes/no and level columns read it first.
BLANK_LIKE = frozenset(
    {"", "-", "--", "—", "——", "–", "/", "\\", "N/A", "NA", "NULL", "NONE", "无", "无数据", "暂无"}
)
TRUE_WORDS = frozenset({"是", "有", "Y", "YES", "TRUE", "√", "✓", "✔", "1", "对"})
FALSE_WORDS = frozenset({"否", "无", "N", "NO", "FALSE", "×", "✗", "✘", "0", "不是", "没有"})
PRIZES = {
    "特等奖": 1,
    "金奖": 1,
    "一等奖": 2,
    "二等奖": 3,
    "银奖": 3,
    "三等奖": 4,
    "铜奖": 4,
    "优秀奖": 5,
    "优胜奖": 5,
}
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
NUMBER_NOISE = re.compile(r"[,，\s']")
# Units a cell may name itself (「20万元」), longest first: 百万元 must not be read as 万元.
CELL_UNITS = (("亿元", 100_000_000), ("千万元", 10_000_000), ("百万元", 1_000_000), ("万元", 10_000),
              ("千元", 1_000), ("亿", 100_000_000), ("万", 10_000), ("元", 1))  # fmt: skip
MAX_YUAN = 10**15  # 1000 万亿元: far above any firm; keeps every amount inside the bigint column
MAX_COUNT = 10_000_000  # head counts, IP counts, ranks and scores fit the integer columns


def text_of(raw: Any) -> str:
    """A cell as text: full-width folded, trimmed; whole floats without their ``.0``."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        if math.isnan(raw):
            return ""
        if raw.is_integer():
            return str(int(raw))
    text = raw if isinstance(raw, str) else str(raw)
    if text.isascii():  # NFKC leaves ASCII as it is: skip it for the common case
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def is_blank(raw: Any) -> bool:
    return text_of(raw).upper() in BLANK_LIKE


def to_text(raw: Any) -> tuple[str | None, str | None]:
    text = text_of(raw)
    return (None, None) if text.upper() in BLANK_LIKE else (text, None)


def _parse_number(raw: Any) -> tuple[float | None, int | None, str | None]:
    """(number, the unit the cell itself names or None, problem)."""
    if isinstance(raw, bool):
        return None, None, "应为数字，不是“是/否”"
    if isinstance(raw, int | float):
        return _plain_number(raw)
    text = text_of(raw)
    if text.upper() in BLANK_LIKE:
        return None, None, None
    cleaned = NUMBER_NOISE.sub("", text)
    if cleaned.endswith("%"):
        return None, None, f"“{text}”是百分比：此列应填数值，不填比例"
    unit = None
    for word, factor in CELL_UNITS:
        if cleaned.endswith(word):
            cleaned, unit = cleaned[: -len(word)], factor
            break
    try:
        value = float(cleaned)
    except ValueError:
        return None, None, f"“{text}”不是数字"
    if math.isinf(value) or math.isnan(value):
        return None, None, f"“{text}”不是数字"
    return value, unit, None


def _plain_number(raw: float) -> tuple[float | None, int | None, str | None]:
    if math.isnan(raw):
        return None, None, None
    if math.isinf(raw):
        return None, None, f"“{text_of(raw)}”不是数字"
    return float(raw), None, None


def to_number(raw: Any) -> tuple[float | None, str | None]:
    """Numbers as written: thousands separators, full-width digits, a unit the cell names."""
    value, unit, problem = _parse_number(raw)
    return (value * unit if value is not None and unit else value), problem


def yuan_problem(yuan: float, raw: Any, signed: bool) -> str | None:
    """Why an amount in 元 cannot be stored, if it cannot."""
    if yuan < 0 and not signed:
        return f"金额不能为负数（{text_of(raw)}）"
    if abs(yuan) > MAX_YUAN:
        return f"金额过大（{text_of(raw)}），请核对单位"
    return None


def count_problem(value: float, raw: Any, maximum: int | None = None) -> str | None:
    """Why a count cannot be stored, if it cannot; ``maximum`` is a declared bound (a score's 满分)."""
    if value < 0:
        return f"不能为负数（{text_of(raw)}）"
    if not float(value).is_integer():
        return f"应为整数（{text_of(raw)}）"
    if maximum is not None and maximum < MAX_COUNT and value > maximum:
        return f"不能大于 {maximum}（{text_of(raw)}）"
    if value > MAX_COUNT:
        return f"数值过大（{text_of(raw)}）"
    return None


def round_yuan(yuan: float) -> int:
    """Half away from zero, as accountants round (Python's round() is banker's rounding)."""
    return math.floor(abs(yuan) + 0.5) * (1 if yuan >= 0 else -1)


def to_money(raw: Any, unit: int, signed: bool = False) -> tuple[int | None, str | None]:
    """An amount in the column's unit (or the unit the cell names: 「20万元」) → integer 元, half up."""
    value, own_unit, problem = _parse_number(raw)
    if value is None:
        return None, problem
    yuan = value * (own_unit or unit)
    problem = yuan_problem(yuan, raw, signed)
    return (None, problem) if problem else (round_yuan(yuan), None)


def to_count(raw: Any, maximum: int | None = None) -> tuple[int | None, str | None]:
    value, problem = to_number(raw)
    if value is None:
        return None, problem
    problem = count_problem(value, raw, maximum)
    return (None, problem) if problem else (int(value), None)


def to_date(raw: Any) -> tuple[date | None, str | None]:
    """Dates as cells (datetime), Excel serial numbers, 20190305 typed as a number, or text."""
    if isinstance(raw, datetime):
        return raw.date(), None
    if isinstance(raw, date):
        return raw, None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _date_from_number(raw)
    text = text_of(raw)
    if text.upper() in BLANK_LIKE:
        return None, None
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), None
            except ValueError:
                return None, f"“{text}”不是有效日期"
    return None, f"“{text}”不是日期（{DATE_FORMS}）"


DATE_FORMS = "可写作 2019-03-05、2019/3/5、2019.03.05 或 2019年3月5日"


def _date_from_number(raw: float) -> tuple[date | None, str | None]:
    """A number in a date column: 20190305 (typed digits), a bare year (an error), else an Excel serial."""
    if isinstance(raw, float) and math.isnan(raw):
        return None, None
    if float(raw).is_integer() and 1900 <= raw <= 2100:
        return None, f"“{text_of(raw)}”只有年份，不是完整日期（{DATE_FORMS}）"
    if float(raw).is_integer() and 19_000_101 <= raw <= 21_001_231:
        return to_date(str(int(raw)))
    if 1 <= raw <= 2_958_465:
        return EXCEL_EPOCH + timedelta(days=int(raw)), None
    return None, f"“{text_of(raw)}”不是日期（{DATE_FORMS}）"


def to_year(raw: Any) -> tuple[int | None, str | None]:
    text = text_of(raw).removesuffix("年度").removesuffix("年")
    if text.upper() in BLANK_LIKE:
        return None, None
    if text.isdigit() and 1980 <= int(text) <= 2100:
        return int(text), None
    return None, f"“{text_of(raw)}”不是年度（应为 2024 这样的四位年份）"


def to_bool(raw: Any) -> tuple[bool | None, str | None]:
    text = text_of(raw).upper()
    if text in ("", "-", "/", "—", "——"):
        return None, None
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return None, f"“{text_of(raw)}”应为 是/否"


def to_choice(raw: Any, choices: dict[str, str], allowed: tuple[str, ...]) -> tuple[str | None, str | None]:
    """A level or role written in Chinese (or as its code) → its code."""
    text = text_of(raw)
    folded = re.sub(r"\s", "", text).upper()
    if folded in choices:  # before blank-like: 无 is a level here (none), not an empty cell
        return choices[folded], None
    if text.upper() in BLANK_LIKE:
        return None, None
    if text.lower() in allowed:
        return text.lower(), None
    written = "、".join(dict.fromkeys(choices))
    return None, f"“{text}”不是可识别的取值（可写：{written}）"


def to_prize(raw: Any) -> tuple[int | None, str | None]:
    text = text_of(raw)
    if text.upper() in BLANK_LIKE or text in ("无", "否"):
        return None, None
    for word, rank in PRIZES.items():
        if word in text:
            return rank, None
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text), None
    return None, f"“{text}”不是可识别的名次（特等奖、一等奖、二等奖、三等奖、优秀奖）"
