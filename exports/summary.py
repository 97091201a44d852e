"""The manifest and the diff as lines a person reads (Chinese labels), for any writer to lay out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from exports.cells import local_naive
from exports.changes import CHANGE_NAMES, Diff, DiffEntry
from exports.columns import Column, yuan_columns
from exports.document import KIND_NAMES
from exports.manifest import Manifest

FIRST_OF_KIND = "首份同类清单，无可比较的上一份"
NOT_COMPARED = "未与上一份同类清单比较"
DIFF_HEADER = ("变动类型", "标识", "名称", "原金额", "现金额", "原因")


def manifest_lines(manifest: Manifest, columns: tuple[Column, ...]) -> list[tuple[str, Any]]:
    """(项目, 内容) pairs: text, or int for counts and sums."""
    info = manifest.info
    kind = KIND_NAMES.get(info.kind)
    lines: list[tuple[str, Any]] = [
        ("清单类型", f"{kind}（{info.kind}）" if kind else info.kind),
        ("标题", info.title),
        ("生成人", info.generated_by),
        ("生成时间", moment_text(info.generated_at)),
        ("数据截止", moment_text(info.data_cutoff) if info.data_cutoff is not None else "未指定"),
        *_labelled("规则版本", info.ruleset_versions),
        *_labelled("筛选条件", info.filters),
        ("行数", manifest.row_count),
        *((sum_label(column), manifest.sums[column.key]) for column in _distinct_yuan(columns)),
        ("行数据SHA-256", manifest.rows_sha256),
        ("正式清单", "是" if info.final else "否"),
        ("上一份同类清单", info.previous or "无（首份同类清单）"),
    ]
    return lines


def sum_label(column: Column) -> str:
    """金额合计（元） from the header 金额 or 金额（元）."""
    return f"{column.header.removesuffix('（元）')}合计（元）"


def moment_text(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return local_naive(moment).strftime("%Y-%m-%d %H:%M:%S")
    return moment.isoformat()


def diff_summary_lines(diff: Diff | None) -> list[str]:
    if diff is None:
        return [NOT_COMPARED]
    if diff.previous is None:
        return [FIRST_OF_KIND]
    counts = diff.counts()
    return [
        f"比较对象：上一份同类清单 {diff.previous}",
        *(f"{CHANGE_NAMES[change]}：{count}" for change, count in counts.items()),
    ]


def diff_entry_cells(entry: DiffEntry) -> tuple[str, str, str, int | None, int | None, str]:
    return (CHANGE_NAMES[entry.change], entry.key, entry.label, entry.before, entry.after, entry.reason)


def _labelled(label: str, pairs: Any) -> list[tuple[str, Any]]:
    """One line per entry, each under the same label; one line saying 无 when there are none."""
    if not pairs:
        return [(label, "无")]
    return [(label, f"{name}：{value}") for name, value in pairs.items()]


def _distinct_yuan(columns: tuple[Column, ...]) -> list[Column]:
    return list({column.key: column for column in reversed(yuan_columns(columns))}.values())[::-1]
