"""Imports of workbooks: the run (provenance every imported value points back to), its issues,
the file itself, and the linked registries (business registration, IP) imported the same way."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, LargeBinary
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field
from vocabulary.imports import ImportKind


class ImportRun(SQLModel, table=True):
    __tablename__ = "import_run"
    __table_args__ = (Index("ix_import_run_sha_kind", "sha256", "kind", "status"),)

    id: int | None = bigint_pk()
    kind: str = Field(default=ImportKind.filings, max_length=16)  # an ImportKind
    file_name: str = Field(max_length=255)
    file_kind: str | None = Field(default=None, max_length=8)  # xlsx | xls | ods | csv …
    file_size: int = 0
    sha256: str = Field(max_length=64)
    bureau_code: str | None = Field(default=None, foreign_key="bureau.code", max_length=16)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    actor_label: str = Field(default="", max_length=80)
    source: str = Field(default="upload", max_length=10)  # upload | cli | inbox
    status: str = Field(max_length=16)  # dry_run | committed | duplicate
    duplicate_of_id: int | None = Field(default=None, foreign_key="import_run.id", sa_type=BigInteger)
    fiscal_year: int | None = None  # given with the upload, when the file names none
    sheet: str | None = Field(default=None, max_length=100)
    header_row: int | None = None
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    duration_ms: int = 0
    created_at: datetime = created_at_field()
    committed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ImportFile(SQLModel, table=True):
    """The uploaded bytes, kept for the annotated workbook and a later commit of a dry run."""

    __tablename__ = "import_file"

    import_run_id: int = Field(primary_key=True, foreign_key="import_run.id", sa_type=BigInteger)
    content: bytes = Field(sa_type=LargeBinary)


class ImportIssue(SQLModel, table=True):
    __tablename__ = "import_issue"

    id: int | None = bigint_pk()
    import_run_id: int = Field(foreign_key="import_run.id", sa_type=BigInteger, index=True)
    severity: str = Field(max_length=8)  # error | warning
    sheet: str | None = Field(default=None, max_length=100)
    row: int | None = None
    column: str | None = Field(default=None, max_length=4)
    header: str | None = Field(default=None, max_length=200)
    value: str | None = Field(default=None, max_length=500)
    message: str = Field(max_length=1000)
    field: str | None = Field(default=None, max_length=40)


class BusinessRecord(SQLModel, table=True):
    """A firm in the business-registration register (企业登记信息库), as last imported."""

    __tablename__ = "business_record"

    uscc: str = Field(primary_key=True, max_length=18)
    name: str | None = Field(default=None, max_length=200)
    status: str | None = Field(default=None, max_length=20)  # 存续 / 在业 / 吊销 / 注销 …
    registered_on: date | None = None
    abnormal_operation: bool | None = None  # 经营异常名录
    serious_violation: bool | None = None  # 严重违法失信名单
    import_run_id: int = Field(foreign_key="import_run.id", sa_type=BigInteger)
    source_row: int | None = None
    updated_at: datetime = created_at_field()


class IpRecord(SQLModel, table=True):
    """One patent, registration or copyright in the IP register (知识产权数据库), as last imported."""

    __tablename__ = "ip_record"

    number: str = Field(primary_key=True, max_length=60)
    ip_type: str = Field(max_length=20)  # 发明专利 / 实用新型 / 外观设计 / 软件著作权 …
    ip_class: int | None = None  # 1 (I类) | 2 (II类) | None (not counted, e.g. trademarks)
    owner_uscc: str = Field(max_length=18, index=True)
    valid_from: date | None = None
    valid_to: date | None = None
    import_run_id: int = Field(foreign_key="import_run.id", sa_type=BigInteger)
    source_row: int | None = None
    updated_at: datetime = created_at_field()
