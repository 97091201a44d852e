"""Column specs as data: which row key, which Chinese header, how the value is shown.

A list's columns are declared with the list itself (``vocabulary.lists``); the writer reads them.
"""

from __future__ import annotations

from vocabulary.lists import Column, ColumnKind

__all__ = ["AMOUNT_KINDS", "Column", "ColumnKind", "amount_keys", "yuan_columns"]

# Kinds whose cells carry an amount in 元 that subtotals and totals add up.
AMOUNT_KINDS: frozenset[str] = frozenset({"yuan", "capitals"})


def yuan_columns(columns: tuple[Column, ...]) -> tuple[Column, ...]:
    return tuple(column for column in columns if column.kind == "yuan")


def amount_keys(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """Row keys whose values subtotals add up, each once, in column order."""
    keys = (column.key for column in columns if column.kind in AMOUNT_KINDS)
    return tuple(dict.fromkeys(keys))
