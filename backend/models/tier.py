"""Tier membership (雏鹰 → 瞪羚 → 科技领军培育 → 科技领军) per firm and year, with its transitions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field, utc_now
from backend.models.history import StateHistory
from vocabulary.states import BatchState


class TierBatch(SQLModel, table=True):
    """One admission batch of a year (天津市2025年第1批入库…名单), across the four tiers."""

    __tablename__ = "tier_batch"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        CheckConstraint("notice_to IS NULL OR notice_to >= notice_from", name="notice_window_ordered"),
    )

    id: int | None = bigint_pk()
    year: int
    seq: int  # 第N批
    label: str = Field(max_length=60)  # 2025年第1批
    state: str = Field(default=BatchState.open, max_length=20)
    notice_from: date | None = None  # 公示 window, inclusive
    notice_to: date | None = None
    announced_on: date | None = None  # 公告入库
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class TierStatus(SQLModel, table=True):
    __tablename__ = "tier_status"
    __table_args__ = (
        UniqueConstraint("firm_id", "tier", "year"),
        Index("ix_tier_status_tier_state", "tier", "state"),
    )

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger, index=True)
    tier: str = Field(max_length=20)
    year: int  # evaluation (application) year
    state: str = Field(max_length=20)
    batch_label: str | None = Field(default=None, max_length=60)  # e.g. 2021年第二批
    batch_id: int | None = Field(default=None, foreign_key="tier_batch.id", sa_type=BigInteger, index=True)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id", sa_type=BigInteger)
    last_reviewed_year: int | None = None  # the latest 复评 it passed
    admission_no: str | None = Field(default=None, max_length=40, unique=True)  # 入库登记编号
    valid_from: date | None = None  # announcement date (公告时间) once admitted
    valid_to: date | None = None  # no fixed length is known (policy.md §1.4)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class TierTransition(StateHistory, table=True):
    """Every state a tier status went through (append-only: the database refuses changes)."""

    __tablename__ = "tier_transition"

    id: int | None = bigint_pk()
    tier_status_id: int = Field(foreign_key="tier_status.id", sa_type=BigInteger, index=True)


class Objection(SQLModel, table=True):
    """An objection raised against a firm during its batch's 公示 (in writing, signed or stamped)."""

    __tablename__ = "tier_objection"

    id: int | None = bigint_pk()
    tier_status_id: int = Field(foreign_key="tier_status.id", sa_type=BigInteger, index=True)
    received_on: date
    submitted_by: str = Field(max_length=120)  # who raised it, as written on the objection
    content: str = Field(max_length=2000)
    outcome: str = Field(default="pending", max_length=12)  # pending | upheld | dismissed
    resolution: str | None = Field(default=None, max_length=1000)
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    resolved_by_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    resolved_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = created_at_field()
