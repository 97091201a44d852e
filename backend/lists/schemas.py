"""Export runs as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backend.core.bounds import Id
from backend.models import ExportRun

SOURCE_LABELS = {"api": "网页/接口", "cli": "命令行", "job": "定时任务"}


class ExportRequest(BaseModel):
    """The same filters as the query string, for clients that prefer a JSON body (the query wins)."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=1980, le=2100)
    program: str | None = Field(default=None, max_length=40)
    bureau: str | None = Field(default=None, max_length=16)
    batch: Id | None = None
    tier: str | None = Field(default=None, max_length=20)
    days: int | None = Field(default=None, ge=1, le=3660)
    final: bool | None = None


class ExportRunRead(BaseModel):
    id: int
    kind: str
    scope_key: str
    file_format: str
    file_name: str
    final: bool
    row_count: int
    rows_sha256: str
    file_sha256: str
    totals: dict[str, Any]
    manifest: dict[str, Any]
    diff_counts: dict[str, int]
    previous_id: int | None
    source: str
    source_label: str
    actor: str
    created_at: datetime

    @classmethod
    def of(cls, run: ExportRun) -> ExportRunRead:
        assert run.id is not None
        return cls(
            id=run.id, kind=run.kind, scope_key=run.scope_key, file_format=run.file_format, file_name=run.file_name,
            final=run.final, row_count=run.row_count, rows_sha256=run.rows_sha256, file_sha256=run.file_sha256,
            totals=run.totals, manifest=run.manifest, diff_counts=run.diff_summary.get("counts", {}),
            previous_id=run.previous_id, source=run.source, source_label=SOURCE_LABELS.get(run.source, run.source),
            actor=run.actor_label, created_at=run.created_at,
        )  # fmt: skip


class DiffEntryRead(BaseModel):
    change: str
    key: str
    label: str
    before: int | None
    after: int | None
    reason: str


class ExportRunDetail(ExportRunRead):
    previous: str | None
    diff: list[DiffEntryRead]

    @classmethod
    def detail(cls, run: ExportRun) -> ExportRunDetail:
        summary = run.diff_summary
        return cls(
            **ExportRunRead.of(run).model_dump(),
            previous=summary.get("previous"),
            diff=[DiffEntryRead.model_validate(e) for e in summary.get("entries", [])],
        )
