"""A list ready to write: what it is, its columns, its rows (streamed) and its diff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from exports.changes import Diff
from exports.columns import Column
from exports.manifest import ManifestInfo

# The Chinese name of each kind of list: the first sheet's name and the manifest's 清单类型.
KIND_NAMES: dict[str, str] = {
    "disbursement": "拨付清单",
    "certification": "入库名单",
    "public_notice": "公示名单",
    "eligibility": "资格审查报告",
    "targets": "目标完成情况",
    "reminders": "提醒清单",
}


@dataclass(frozen=True)
class ListDocument:
    """Everything a writer needs; ``rows`` may be a generator and is read exactly once."""

    info: ManifestInfo
    columns: tuple[Column, ...]
    rows: Iterable[Mapping[str, Any]]  # already in final order
    group_key: str | None = None  # rows arrive grouped by this key; a 小计 row follows each group
    group_label: str | None = None  # what the groups are, e.g. "审查单位"
    diff: Diff | None = None
    notes: tuple[str, ...] = ()  # lines under the title, e.g. "金额单位：元"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.info.kind, "清单")
