"""Firms and the append-only history of their identity (name, bureau, district …)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field, utc_now
from backend.models.provenance import Provenance


class FirmIdentity(SQLModel):
    """The fields a firm's revisions record; the firm row holds the current values.

    A revision keeps the codes as they were when it was written (history), so only the firm row,
    the current state, has foreign keys to the reference tables; those rows cannot be deleted.
    """

    name: str = Field(max_length=200)
    legal_form: str | None = Field(default=None, max_length=40)  # 有限责任公司 …
    bureau_code: str = Field(max_length=16)
    district_code: str = Field(max_length=6)
    functional_zone: str | None = Field(default=None, max_length=16)
    registered_on: date
    tech_field: str | None = Field(default=None, max_length=40)  # one of the 8 高企 fields


class Firm(FirmIdentity, table=True):
    __tablename__ = "firm"
    __table_args__ = (Index("ix_firm_bureau_code", "bureau_code"),)

    id: int | None = bigint_pk()
    bureau_code: str = Field(foreign_key="bureau.code", max_length=16)
    district_code: str = Field(foreign_key="district.code", max_length=6)
    functional_zone: str | None = Field(default=None, foreign_key="functional_zone.code", max_length=16)
    uscc: str = Field(max_length=18, unique=True)  # 统一社会信用代码, checked by importers.uscc
    uscc_status: str = Field(max_length=16)  # valid | pilot_exception (legal, fails the check)
    revision_no: int = 1
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class FirmRevision(FirmIdentity, Provenance, table=True):
    __tablename__ = "firm_revision"
    __table_args__ = (
        UniqueConstraint("firm_id", "revision_no"),
        CheckConstraint("revision_no >= 1", name="revision_no_positive"),
    )

    id: int | None = bigint_pk()
    # Lookups by firm use uq_firm_revision_firm_id_revision_no (firm_id leads it).
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger)
    revision_no: int
