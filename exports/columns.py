"""Column specs as data: which row key, which Chinese header, how the value is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "int", "yuan", "capitals", "date", "datetime", "ratio"]

# Kinds whose cells carry an amount in 元 that subtotals and totals add up.
AMOUNT_KINDS: frozenset[str] = frozenset({"yuan", "capitals"})


@dataclass(frozen=True)
class Column:
    """One column of a list.

    ``yuan`` is an integer amount in 元 shown as ``#,##0``; ``capitals`` writes the row's value
    (an int in 元) as Chinese capitals text; ``ratio`` is a float 0..1 shown as ``0.00%``;
    ``date`` / ``datetime`` are ``datetime.date`` / ``datetime.datetime``.
    """

    key: str
    header: str
    kind: ColumnKind
    width: float = 14


def yuan_columns(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    return tuple(column for column in columns if column.kind == "yuan")


def amount_keys(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """Row keys whose values subtotals add up, each once, in column order."""
    keys = (column.key for column in columns if column.kind in AMOUNT_KINDS)
    return tuple(dict.fromkeys(keys))
