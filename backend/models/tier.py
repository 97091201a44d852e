"""Tier membership (雏鹰 → 瞪羚 → 科技领军培育 → 科技领军) per firm and year, with its transitions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field, utc_now


class Tier(StrEnum):
    seedling = "seedling"  # 雏鹰企业
    gazelle = "gazelle"  # 瞪羚企业
    leader_candidate = "leader_candidate"  # 科技领军培育企业
    leader = "leader"  # 科技领军企业


TIER_LABELS = {
    Tier.seedling: "雏鹰企业",
    Tier.gazelle: "瞪羚企业",
    Tier.leader_candidate: "科技领军培育企业",
    Tier.leader: "科技领军企业",
}


class TierState(StrEnum):
    candidate = "candidate"  # filed
    district_approved = "district_approved"  # 区审查 passed
    city_approved = "city_approved"  # 市级审核 (and on-site check for leaders) passed
    public_notice = "public_notice"  # 公示
    admitted = "admitted"  # 公告入库
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


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
    admission_no: str | None = Field(default=None, max_length=40, unique=True)  # 入库登记编号
    valid_from: date | None = None  # announcement date (公告时间) once admitted
    valid_to: date | None = None  # no fixed length is known (policy.md §1.4)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class TierTransition(SQLModel, table=True):
    __tablename__ = "tier_transition"

    id: int | None = bigint_pk()
    tier_status_id: int = Field(foreign_key="tier_status.id", sa_type=BigInteger, index=True)
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    actor_label: str = Field(max_length=80)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = created_at_field()
