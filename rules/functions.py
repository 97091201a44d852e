"""Functions a rule may call, each twice: on one firm's values and on whole columns.

Both implementations must mean the same thing (a property test checks it). ``None`` (one
firm) and ``pd.NA`` / ``NaT`` (columns) are "unknown": any unknown input gives an unknown
result, except where a function says otherwise (``known`` is never unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

Value = Any  # a Python value or None (one firm) / a Series or a scalar (columns)


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]
    returns: str
    scalar: Callable[..., Any]
    vector: Callable[..., Any]
    label: str


# -- dates --------------------------------------------------------------------------------------


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year: the anniversary is the 28th
        return day.replace(year=day.year + years, day=28)


def years_since_scalar(start: date | None, end: date | None) -> float | None:
    """Years from ``start`` to ``end``: whole on anniversaries, fractional between them."""
    if start is None or end is None:
        return None
    full = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    anniversary, following = _add_years(start, full), _add_years(start, full + 1)
    return full + (end - anniversary).days / (following - anniversary).days


def _as_dates(value: Value, index: pd.Index | None) -> pd.Series:
    if isinstance(value, pd.Series):
        return pd.to_datetime(value)
    return pd.Series(
        pd.Timestamp(value) if value is not None else pd.NaT, index=index, dtype="datetime64[ns]"
    )


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of ``datetime64[D]`` values: integer arithmetic only (H. Hinnant's
    civil_from_days), cheaper than converting through months and years."""
    z = days.astype(np.int64) + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _add_years_days(
    month_start: np.ndarray, month: np.ndarray, day: np.ndarray, years: np.ndarray
) -> np.ndarray:
    """The anniversary ``years`` later, as day numbers; 29 February falls on the 28th in common years."""
    target = (month_start + 12 * years).astype("datetime64[D]")
    target_year = target.astype("datetime64[Y]").astype(np.int64) + 1970
    leap = (target_year % 4 == 0) & ((target_year % 100 != 0) | (target_year % 400 == 0))
    shift = np.where((month == 2) & (day == 29) & ~leap, 27, day - 1)
    days: np.ndarray = (target + shift).astype(np.int64)
    return days


def _anniversary_tables(end: date) -> tuple[np.ndarray, np.ndarray]:
    """For every (month, day) a firm can be registered on: the day numbers of its last anniversary
    on or before ``end`` and of the one after. Registrations are many, calendar days 366."""
    last = np.zeros(12 * 31, dtype=np.int64)
    following = np.zeros(12 * 31, dtype=np.int64)
    epoch = date(1970, 1, 1)
    for month in range(1, 13):
        for day in range(1, 32):
            try:
                origin = date(2000, month, day)  # a leap year: 29 February exists
            except ValueError:
                continue
            year = end.year if (end.month, end.day) >= (month, day) else end.year - 1
            key = (month - 1) * 31 + day - 1
            last[key] = (_add_years(origin, year - 2000) - epoch).days
            following[key] = (_add_years(origin, year + 1 - 2000) - epoch).days
    return last, following


def _years_since_days(start_days: np.ndarray, end_days: np.ndarray | date) -> np.ndarray:
    """Years between day numbers (``datetime64[D]``); ``end_days`` one date or one per start."""
    sy, sm, sd = _ymd(start_days)
    if isinstance(end_days, np.ndarray):
        ey, em, ed = _ymd(end_days)
        full = ey - sy - ((em < sm) | ((em == sm) & (ed < sd))).astype(np.int64)
        month_start = start_days.astype("datetime64[M]")
        anniversary = _add_years_days(month_start, sm, sd, full)
        following = _add_years_days(month_start, sm, sd, full + 1)
        end_number: np.ndarray | np.int64 = end_days.astype(np.int64)
    else:  # one as-of date for every firm: anniversaries from a table
        end = end_days
        before = (end.month < sm) | ((end.month == sm) & (end.day < sd))
        full = end.year - sy - before.astype(np.int64)
        last, after = _anniversary_tables(end)
        key = (sm - 1) * 31 + sd - 1
        anniversary, following = last[key], after[key]
        end_number = np.int64((end - date(1970, 1, 1)).days)
    years: np.ndarray = full + (end_number - anniversary) / (following - anniversary)
    return years


def years_since_vector(start: Value, end: Value) -> pd.Series:
    index = _index_of(start, end)
    s = _as_dates(start, index)
    known = s.notna().to_numpy()
    if isinstance(end, pd.Series):
        known &= pd.to_datetime(end).notna().to_numpy()
    result = np.full(len(known), np.nan)
    if known.any() and (isinstance(end, pd.Series) or end is not None):
        start_days = s.to_numpy()[known].astype("datetime64[D]")
        if isinstance(end, pd.Series):
            result[known] = _years_since_days(
                start_days, pd.to_datetime(end).to_numpy()[known].astype("datetime64[D]")
            )
        else:
            # Registration dates span a few thousand days however many firms there are:
            # decide each calendar day once and look the firms up.
            numbers = start_days.astype(np.int64)
            low = numbers.min()
            days = np.arange(low, numbers.max() + 1).astype("datetime64[D]")
            result[known] = _years_since_days(days, pd.Timestamp(end).date())[numbers - low]
    return pd.Series(result, index=index, dtype="Float64")


def days_between_scalar(start: date | None, end: date | None) -> int | None:
    return None if start is None or end is None else (end - start).days


def days_between_vector(start: Value, end: Value) -> pd.Series:
    index = _index_of(start, end)
    delta = _as_dates(end, index) - _as_dates(start, index)
    return delta.dt.days.astype("Float64")


def year_of_scalar(day: date | None) -> int | None:
    return None if day is None else day.year


def year_of_vector(day: Value) -> Value:
    if not isinstance(day, pd.Series):
        return year_of_scalar(day)
    return pd.to_datetime(day).dt.year.astype("Float64")


# -- bands and schedules ------------------------------------------------------------------------


def band_upto_scalar(x: float | None, bands: Sequence[Sequence[Any]]) -> float | None:
    """The value of the first band whose upper bound (inclusive; null = no bound) holds ``x``."""
    if x is None:
        return None
    for bound, value in bands:
        if bound is None or x <= bound:
            return float(value)
    return None


def band_from_scalar(x: float | None, bands: Sequence[Sequence[Any]]) -> float | None:
    """The value of the first band whose lower bound (inclusive; null = otherwise) ``x`` reaches."""
    if x is None:
        return None
    for bound, value in bands:
        if bound is None or x >= bound:
            return float(value)
    return None


def _band_vector(x: Value, bands: Sequence[Sequence[Any]], upper: bool) -> Value:
    if not isinstance(x, pd.Series):
        return (band_upto_scalar if upper else band_from_scalar)(_none(x), bands)
    values = x.astype("Float64")
    data = values.to_numpy(dtype=float, na_value=np.nan)
    conditions, choices = [], []
    for bound, value in bands:
        hit = np.ones_like(data, dtype=bool) if bound is None else (data <= bound if upper else data >= bound)
        conditions.append(hit)
        choices.append(float(value))
    chosen = np.select(conditions, choices, default=np.nan)
    result = pd.Series(chosen, index=x.index, dtype="Float64")
    result[values.isna() | np.isnan(chosen)] = pd.NA
    return result


def progressive_scalar(x: float | None, schedule: Sequence[dict[str, Any]]) -> float | None:
    """Sum over segments of the part of ``x`` inside [from, to) times the segment's rate."""
    if x is None:
        return None
    total = 0.0
    for segment in schedule:
        low, high, rate = float(segment["from"]), segment.get("to"), float(segment["rate"])
        top = x if high is None else min(x, float(high))
        total += max(0.0, top - low) * rate
    return total


def progressive_vector(x: Value, schedule: Sequence[dict[str, Any]]) -> Value:
    if not isinstance(x, pd.Series):
        return progressive_scalar(_none(x), schedule)
    values = x.astype("Float64")
    total = pd.Series(0.0, index=x.index, dtype="Float64")
    for segment in schedule:
        low, high, rate = float(segment["from"]), segment.get("to"), float(segment["rate"])
        top = values if high is None else values.clip(upper=float(high))
        total = total + (top - low).clip(lower=0.0) * rate
    total[values.isna()] = pd.NA
    return total


# -- numbers and three-valued helpers -------------------------------------------------------------


def _min_scalar(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else min(a, b)


def _max_scalar(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else max(a, b)


def _minmax_vector(pick: Callable[..., Any]) -> Callable[[Value, Value], Value]:
    def vector(a: Value, b: Value) -> Value:
        if not isinstance(a, pd.Series) and not isinstance(b, pd.Series):
            return _min_scalar(_none(a), _none(b)) if pick is np.minimum else _max_scalar(_none(a), _none(b))
        index = _index_of(a, b)
        left, right = _numbers(a, index), _numbers(b, index)
        result = pd.Series(
            pick(left.to_numpy(float, na_value=np.nan), right.to_numpy(float, na_value=np.nan)),
            index=index,
            dtype="Float64",
        )
        result[left.isna() | right.isna()] = pd.NA
        return result

    return vector


def range_at_least_scalar(low: float | None, high: float | None, threshold: float | None) -> bool | None:
    """True when even the low end reaches ``threshold``, false when even the high end misses it."""
    if low is None or high is None or threshold is None:
        return None
    if low >= threshold:
        return True
    if high < threshold:
        return False
    return None


def range_at_least_vector(low: Value, high: Value, threshold: Value) -> Value:
    index = _index_of(low, high, threshold)
    if index is None:
        return range_at_least_scalar(_none(low), _none(high), _none(threshold))
    lo, hi, t = _numbers(low, index), _numbers(high, index), _numbers(threshold, index)
    result = pd.Series(pd.NA, index=index, dtype="boolean")
    result[(lo >= t).fillna(False)] = True
    result[(hi < t).fillna(False)] = False
    return result


def known_scalar(x: float | None) -> bool:
    """Whether a number is known: never unknown itself, so ``a if known(x) else b`` always picks."""
    return x is not None


def known_vector(x: Value) -> Value:
    if not isinstance(x, pd.Series):
        return known_scalar(_none(x))
    return x.notna().astype("boolean")


def unconfirmed_scalar(reason: str) -> None:
    """No source gives this condition: it can only be ``unknown``."""
    return None


def unconfirmed_vector(reason: str) -> Value:
    return None


def _none(value: Any) -> Any:
    return (
        None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value
    )


def _index_of(*values: Value) -> pd.Index | None:
    for value in values:
        if isinstance(value, pd.Series):
            return value.index
    return None


def _numbers(value: Value, index: pd.Index | None) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype("Float64")
    return pd.Series(_none(value), index=index, dtype="Float64")


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "years_since",
            ("date", "date"),
            "number",
            years_since_scalar,
            years_since_vector,
            "两个日期间的年数（周年日为整数）",
        ),
        Function(
            "days_between",
            ("date", "date"),
            "number",
            days_between_scalar,
            days_between_vector,
            "两个日期间的天数",
        ),
        Function("year_of", ("date",), "number", year_of_scalar, year_of_vector, "日期所在年份"),
        Function(
            "band_upto",
            ("number", "bands"),
            "number",
            band_upto_scalar,
            lambda x, b: _band_vector(x, b, upper=True),
            "按上限分档取值（含上限）",
        ),
        Function(
            "band_from",
            ("number", "bands"),
            "number",
            band_from_scalar,
            lambda x, b: _band_vector(x, b, upper=False),
            "按下限分档取值（含下限）",
        ),
        Function(
            "progressive",
            ("number", "schedule"),
            "number",
            progressive_scalar,
            progressive_vector,
            "分段累进计算",
        ),
        Function("min", ("number", "number"), "number", _min_scalar, _minmax_vector(np.minimum), "较小值"),
        Function("max", ("number", "number"), "number", _max_scalar, _minmax_vector(np.maximum), "较大值"),
        Function(
            "range_at_least",
            ("number", "number", "number"),
            "bool",
            range_at_least_scalar,
            range_at_least_vector,
            "区间 [低, 高] 是否确定达到阈值；不确定时为未知",
        ),
        Function(
            "known",
            ("number",),
            "bool",
            known_scalar,
            known_vector,
            "数值是否已填（未填为否，本身从不未知）：用于“有此数据时以它为准，否则按其他依据”",
        ),
        Function(
            "unconfirmed",
            ("str",),
            "bool",
            unconfirmed_scalar,
            unconfirmed_vector,
            "标准未经确认：结果总是未知（资料不全），绝不视为通过",
        ),
        Function(
            "unconfirmed_amount",
            ("str",),
            "number",
            unconfirmed_scalar,
            unconfirmed_vector,
            "金额未经确认：结果总是未知，绝不计算",
        ),
    )
}
