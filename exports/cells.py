"""A row value as a cell shows it, per column kind; shared by the xlsx and csv writers."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from exports.capitals import yuan_capitals
from exports.columns import Column, ColumnKind
from exports.errors import ExportError
from exports.manifest import as_yuan
from exports.sanitize import neutralise

# The people reading the lists work in Tianjin: aware datetimes are shown in its local time.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")

CellValue = str | int | float | date | None


def text_cell(value: Any) -> str:
    return neutralise(str(value))


def int_cell(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExportError(f"整数列的值必须是整数：{value!r}")
    return value


def ratio_cell(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ExportError(f"比例列的值必须是有限的数字：{value!r}")
    return float(value)


def date_cell(value: Any) -> date:
    if not isinstance(value, date):
        raise ExportError(f"日期列的值必须是日期：{value!r}")
    return local_naive(value) if isinstance(value, datetime) else value


def local_naive(moment: datetime) -> datetime:
    """Spreadsheets have no time zones: aware moments become Tianjin wall-clock time."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL_TIME).replace(tzinfo=None)


def cell_converter(column: Column) -> Callable[[Any], CellValue]:
    """The function turning this column's row values into cell values (None stays None)."""
    key = column.key
    converters: dict[ColumnKind, Callable[[Any], CellValue]] = {
        "text": text_cell,
        "int": int_cell,
        "yuan": lambda value: as_yuan(value, key),
        "capitals": lambda value: yuan_capitals(as_yuan(value, key)),
        "date": date_cell,
        "datetime": date_cell,
        "ratio": ratio_cell,
    }
    convert = converters[column.kind]
    return lambda value: None if value is None else convert(value)
