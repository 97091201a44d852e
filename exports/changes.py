"""What changed since the previous list of the same kind: added, removed, amount changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

Change = Literal["added", "removed", "amount_changed"]
CHANGES: tuple[Change, ...] = ("added", "removed", "amount_changed")
CHANGE_NAMES: dict[str, str] = {"added": "新增", "removed": "移除", "amount_changed": "金额变动"}


@dataclass(frozen=True)
class SnapshotRow:
    """One row of a list as the diff remembers it."""

    key: str  # stable identity, e.g. "91120118MA05XXXX:seedling_first:2025"
    label: str  # what a person recognises: firm name (+ program)
    amount: int | None  # 元, or None for lists without amounts


@dataclass(frozen=True)
class DiffEntry:
    change: Change
    key: str
    label: str
    before: int | None
    after: int | None
    reason: str = ""  # Chinese, filled by the caller's explain()


@dataclass(frozen=True)
class Diff:
    previous: str | None  # the export compared with; None = first of its kind
    entries: tuple[DiffEntry, ...]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(CHANGES, 0)
        for entry in self.entries:
            counts[entry.change] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, keys in English."""
        return {
            "previous": self.previous,
            "counts": self.counts(),
            "entries": [
                {
                    "change": e.change,
                    "key": e.key,
                    "label": e.label,
                    "before": e.before,
                    "after": e.after,
                    "reason": e.reason,
                }
                for e in self.entries
            ],
        }


def diff_rows(
    previous: Sequence[SnapshotRow],
    current: Sequence[SnapshotRow],
    *,
    previous_label: str | None,
    explain: Callable[[DiffEntry], str] | None = None,
) -> Diff:
    """Entries sorted by change (added, removed, amount_changed) then key; deterministic.

    A key present twice in one snapshot keeps its last row. Labels come from the current list,
    or the previous one for removed rows.
    """
    before = {row.key: row for row in previous}
    after = {row.key: row for row in current}
    entries = [
        *(_added(row) for key, row in after.items() if key not in before),
        *(_removed(row) for key, row in before.items() if key not in after),
        *(
            _amount_changed(before[key], row)
            for key, row in after.items()
            if key in before and before[key].amount != row.amount
        ),
    ]
    entries.sort(key=lambda e: (CHANGES.index(e.change), e.key))
    if explain is not None:
        entries = [replace(entry, reason=explain(entry)) for entry in entries]
    return Diff(previous=previous_label, entries=tuple(entries))


def _added(row: SnapshotRow) -> DiffEntry:
    return DiffEntry("added", row.key, row.label, None, row.amount)


def _removed(row: SnapshotRow) -> DiffEntry:
    return DiffEntry("removed", row.key, row.label, row.amount, None)


def _amount_changed(old: SnapshotRow, new: SnapshotRow) -> DiffEntry:
    return DiffEntry("amount_changed", new.key, new.label, old.amount, new.amount)
