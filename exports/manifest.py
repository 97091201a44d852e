"""What a list is and what its rows add up to: shown in the workbook, stored beside the CSV."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from exports.columns import Column, yuan_columns
from exports.errors import ExportError


@dataclass(frozen=True)
class ManifestInfo:
    """What the caller knows before any row is written."""

    kind: str  # disbursement | certification | public_notice | eligibility | targets | reminders
    title: str
    generated_by: str
    generated_at: datetime
    data_cutoff: datetime | date | None
    ruleset_versions: Mapping[str, str]  # program -> "version (hash12)"
    filters: Mapping[str, str]  # Chinese label -> value
    final: bool = False  # 正式清单 rather than a preview
    previous: str | None = None  # the previous export of this kind, e.g. "#12 2025-03-01 10:00"


@dataclass(frozen=True)
class Manifest:
    """ManifestInfo plus what streaming the rows measured."""

    info: ManifestInfo
    row_count: int
    sums: Mapping[str, int]  # column key -> sum, for every "yuan" column
    rows_sha256: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-able, keys in English, for the sidecar, the API and the export_run row."""
        info = self.info
        return {
            "kind": info.kind,
            "title": info.title,
            "generated_by": info.generated_by,
            "generated_at": info.generated_at.isoformat(),
            "data_cutoff": info.data_cutoff.isoformat() if info.data_cutoff is not None else None,
            "ruleset_versions": dict(info.ruleset_versions),
            "filters": dict(info.filters),
            "final": info.final,
            "previous": info.previous,
            "row_count": self.row_count,
            "sums": dict(self.sums),
            "rows_sha256": self.rows_sha256,
        }


def canonical_value(value: Any) -> Any:
    """A row value as the digest sees it: the same whatever file format shows it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | Decimal | float):
        return str(value)
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    return str(value)


class RowDigest:
    """A running sha256 over each row's canonical JSON line.

    The line holds the columns' keys in column order (a key shown twice, as an amount and its
    capitals, once) with dates in ISO form and numbers as strings, so the same rows in the same
    order give the same digest in xlsx and csv alike.
    """

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self._keys = tuple(dict.fromkeys(column.key for column in columns))
        self._hash = hashlib.sha256()

    def update(self, row: Mapping[str, Any]) -> None:
        line = {key: canonical_value(row.get(key)) for key in self._keys}
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
        self._hash.update(text.encode("utf-8") + b"\n")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def as_yuan(value: Any, key: str) -> int:
    """An amount cell's value as whole 元 (None counts as nothing)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ExportError(f"金额列 {key} 的值必须是整数元：{value!r}")
    if value != int(value):
        raise ExportError(f"金额列 {key} 的值必须是整数元：{value}")
    return int(value)


@dataclass
class RowTally:
    """Row count, sums of the yuan columns and the digest, measured while the rows stream past."""

    columns: tuple[Column, ...]
    row_count: int = 0
    sums: dict[str, int] = field(init=False)
    digest: RowDigest = field(init=False)

    def __post_init__(self) -> None:
        self.sums = {column.key: 0 for column in yuan_columns(self.columns)}
        self.digest = RowDigest(self.columns)

    def add(self, row: Mapping[str, Any]) -> None:
        self.row_count += 1
        for key in self.sums:
            self.sums[key] += as_yuan(row.get(key), key)
        self.digest.update(row)

    def manifest(self, info: ManifestInfo) -> Manifest:
        return Manifest(info, self.row_count, dict(self.sums), self.digest.hexdigest())
