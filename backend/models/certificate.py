"""Certificates a firm holds: 高企 (3 years), 天津市高企, 科小 (yearly), software ones."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field


class CertificateStatus(StrEnum):
    active = "active"  # valid between issued_on and expires_on
    revoked = "revoked"  # 取消资格: no longer valid whatever the dates say


class Certificate(SQLModel, table=True):
    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("kind", "number"),
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"),
    )

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger, index=True)
    kind: str = Field(max_length=24)
    number: str = Field(max_length=40)
    issued_on: date
    expires_on: date | None = None  # inclusive last day of validity; None: open-ended
    status: str = Field(default=CertificateStatus.active, max_length=10)
    source: str = Field(max_length=10)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    created_at: datetime = created_at_field()
