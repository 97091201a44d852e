"""Exported lists: each file tidu made, how it was made and what changed since the previous one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field


class ExportRun(SQLModel, table=True):
    """One exported list: what it was made from (manifest), its rows' fingerprint, and its diff."""

    __tablename__ = "export_run"
    __table_args__ = (Index("ix_export_run_kind_scope", "kind", "scope_key", "created_at"),)

    id: int | None = bigint_pk()
    kind: str = Field(max_length=24)  # a list's run kind (vocabulary.lists: ListSpec.run_kind)
    scope_key: str = Field(
        max_length=200
    )  # kind-specific filters, canonical: what "previous of its kind" means
    file_format: str = Field(max_length=8)  # xlsx | csv
    file_name: str = Field(max_length=255)
    final: bool = False  # a final 拨付清单 moves its awards to exported
    row_count: int
    rows_sha256: str = Field(max_length=64)
    file_sha256: str = Field(max_length=64)
    totals: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    manifest: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    diff_summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    snapshot: list[Any] = Field(
        default_factory=list, sa_type=JSONB
    )  # [key, amount, label] per row, for the next diff
    previous_id: int | None = Field(default=None, foreign_key="export_run.id", sa_type=BigInteger)
    source: str = Field(default="api", max_length=10)  # api | cli | job
    created_by_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    actor_label: str = Field(max_length=80)
    created_at: datetime = created_at_field()
