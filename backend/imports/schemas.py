"""Shapes of import runs and their issues as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from backend.models import ImportRun
from vocabulary.imports import IMPORT_KIND_LABELS, ImportKind
from vocabulary.states import IMPORT_RUN_LABELS, ImportRunStatus


class ImportIssueRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    severity: str  # error: the row is not imported | warning: imported, worth a look
    sheet: str | None
    row: int | None
    column: str | None
    header: str | None
    value: str | None
    message: str
    field: str | None


class ImportRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    kind_label: str
    file_name: str
    file_kind: str | None
    file_size: int
    sha256: str
    bureau_code: str | None
    actor_label: str
    source: str
    status: str
    status_label: str
    duplicate_of_id: int | None
    fiscal_year: int | None
    sheet: str | None
    header_row: int | None
    counts: dict[str, Any]
    duration_ms: int
    created_at: datetime
    committed_at: datetime | None
    summary: str  # one Chinese sentence: what was (or would be) written, what was not and why

    @classmethod
    def of(cls, run: ImportRun) -> ImportRunRead:
        data = {name: getattr(run, name) for name in ImportRun.model_fields}
        return cls(
            **data,
            kind_label=IMPORT_KIND_LABELS.get(ImportKind(run.kind), run.kind),
            status_label=IMPORT_RUN_LABELS.get(ImportRunStatus(run.status), run.status),
            summary=summary(run),
        )


class ImportOutcomeRead(BaseModel):
    run: ImportRunRead
    issues: list[ImportIssueRead]  # the first ``ISSUES_SHOWN``; all of them: GET /api/imports/{id}/issues
    issues_total: int


def summary(run: ImportRun) -> str:
    counts = run.counts
    if run.status == "duplicate":
        return f"该文件与导入批次 #{run.duplicate_of_id} 已提交的文件完全相同，未做任何更改"
    if run.kind != ImportKind.filings:
        verb = "将写入" if run.status == "dry_run" else "已写入"
        written = f"{verb} {counts.get('records', 0)} 条记录"
    else:
        verb = "将" if run.status == "dry_run" else "已"
        written = (
            f"{verb}新增企业 {counts.get('new_firms', 0)} 家、更名 {counts.get('renamed_firms', 0)} 家、"
            f"新增申报修订 {counts.get('new_revisions', 0)} 条，{counts.get('unchanged', 0)} 行与登记库一致无需修改"
        )
    problems = f"；错误 {counts.get('errors', 0)} 个（{counts.get('error_rows', 0)} 行未导入），警告 {counts.get('warnings', 0)} 个"
    tail = "。确认无误后请提交。" if run.status == "dry_run" else "。"
    return f"读取 {counts.get('rows_read', 0)} 行：{written}{problems}{tail}"
