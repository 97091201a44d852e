"""Sample lists for the export tests: a 拨付清单 grouped by bureau and an eligibility report."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from exports.changes import Diff
from exports.columns import Column
from exports.document import ListDocument
from exports.manifest import ManifestInfo

HOSTILE_NAMES = ('=HYPERLINK("http://x","点我")', "+1", "-2", "@SUM(A1)", "\t=1", "  =1+1")

DISBURSEMENT_COLUMNS = (
    Column("seq", "序号", "int", 6),
    Column("uscc", "统一社会信用代码", "text", 22),
    Column("name", "企业名称", "text", 30),
    Column("bureau", "审查单位", "text", 16),
    Column("program", "支持项目", "text", 16),
    Column("amount", "奖励金额（元）", "yuan", 16),
    Column("amount", "大写金额", "capitals", 30),
    Column("share", "区级分担比例", "ratio", 12),
    Column("certified_on", "认定日期", "date", 12),
    Column("reviewed_at", "审核时间", "datetime", 20),
)


def info(**changes: Any) -> ManifestInfo:
    values: dict[str, Any] = {
        "kind": "disbursement",
        "title": "2025年度天津市雏鹰企业奖励资金拨付清单",
        "generated_by": "王科员",
        "generated_at": datetime(2025, 3, 1, 2, 0, tzinfo=UTC),
        "data_cutoff": date(2025, 2, 28),
        "ruleset_versions": {"seedling": "2021 (0123456789ab)", "hte": "2016 (ba9876543210)"},
        "filters": {"年度": "2025", "审查单位": "全部"},
        "final": True,
        "previous": "#12 2025-02-01 10:00",
    }
    return ManifestInfo(**(values | changes))


def disbursement_rows(count: int = 9, *, hostile: bool = False) -> list[dict[str, Any]]:
    """``count`` rows over three bureaus, already grouped; amounts differ per row."""
    bureaus = ("和平区科技局", "静海区科技局", "滨海新区科技局")
    rows = []
    for index in range(count):
        name = HOSTILE_NAMES[index % len(HOSTILE_NAMES)] if hostile else f"天津测试科技有限公司{index}"
        rows.append(
            {
                "seq": index + 1,
                "uscc": f"91120118MA05{index:06d}",
                "name": name,
                "bureau": bureaus[index * len(bureaus) // count],
                "program": "雏鹰企业首次认定",
                "amount": 100_000 + 12_345 * index,
                "share": 0.5 if index % 2 else 0.3333,
                "certified_on": date(2024, 6, 1 + index % 28),
                "reviewed_at": datetime(2025, 1, 2, 1, 30, index % 60, tzinfo=UTC),  # 09:30 in Tianjin
            }
        )
    return rows


def disbursement(rows: list[dict[str, Any]], **changes: Any) -> ListDocument:
    values: dict[str, Any] = {
        "info": info(),
        "columns": DISBURSEMENT_COLUMNS,
        "rows": iter(rows),
        "group_key": "bureau",
        "group_label": "审查单位",
        "diff": None,
        "notes": ("金额单位：元",),
    }
    return ListDocument(**(values | changes))


def streamed(rows: list[dict[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """The rows as a generator, as the backend hands them over."""
    yield from rows


def reopen(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet_values(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = reopen(content)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def with_diff(doc: ListDocument, diff: Diff | None) -> ListDocument:
    return ListDocument(doc.info, doc.columns, doc.rows, doc.group_key, doc.group_label, diff, doc.notes)


def read_sheet(content: bytes, sheet: str, **options: Any) -> Any:
    """The sheet as a pandas DataFrame, read with openpyxl unless told (no calculation engine)."""
    return pd.read_excel(io.BytesIO(content), sheet_name=sheet, **({"engine": "openpyxl"} | options))
