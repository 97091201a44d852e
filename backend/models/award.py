"""Awards: money a firm gets from a subsidy program for a year, through review to payment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field, utc_now
from backend.models.history import StateHistory


class Award(SQLModel, table=True):
    """computed → district_reviewed → approved → exported → paid. A correction is a new row
    pointing at the one it corrects (which becomes ``superseded``); amounts are never edited."""

    __tablename__ = "award"
    __table_args__ = (
        # One live award per firm, program and year; superseded rows keep the history.
        Index(
            "uq_award_live",
            "firm_id",
            "program",
            "year",
            unique=True,
            postgresql_where=text("state <> 'superseded'"),
        ),
        # A once-per-firm program pays a firm once, whatever the year: the database says so too.
        Index(
            "uq_award_once_per_firm",
            "firm_id",
            "program",
            unique=True,
            postgresql_where=text("once_per_firm AND state NOT IN ('superseded', 'rejected')"),
        ),
        Index("ix_award_program_year_state", "program", "year", "state"),
        CheckConstraint("amount_yuan >= 0", name="amount_non_negative"),
    )

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger, index=True)
    program: str = Field(max_length=40)
    year: int
    amount_yuan: int = Field(sa_type=BigInteger)
    state: str = Field(max_length=20)
    bureau_code: str = Field(foreign_key="bureau.code", max_length=16)  # the firm's bureau when computed
    once_per_firm: bool = False
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id", sa_type=BigInteger)
    export_run_id: int | None = Field(default=None, foreign_key="export_run.id", sa_type=BigInteger)
    paid_on: date | None = None
    payment_ref: str | None = Field(default=None, max_length=80)  # 支付凭证号
    ruleset_hash: str | None = Field(default=None, foreign_key="ruleset_version.content_hash", max_length=64)
    corrects_id: int | None = Field(default=None, foreign_key="award.id", sa_type=BigInteger, unique=True)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class AwardEvent(StateHistory, table=True):
    """Every state an award went through: who, when, why."""

    __tablename__ = "award_event"

    id: int | None = bigint_pk()
    award_id: int = Field(foreign_key="award.id", sa_type=BigInteger, index=True)


class AwardBudget(SQLModel, table=True):
    """The money a program has for a year; approving beyond it warns."""

    __tablename__ = "award_budget"
    __table_args__ = (
        UniqueConstraint("program", "year"),
        CheckConstraint("amount_yuan >= 0", name="amount_non_negative"),
    )

    id: int | None = bigint_pk()
    program: str = Field(max_length=40)
    year: int
    amount_yuan: int = Field(sa_type=BigInteger)
    note: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class AwardExclusion(SQLModel, table=True):
    """A firm kept out of awards (all programs, or one), from a year on, with the reason."""

    __tablename__ = "award_exclusion"

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger, index=True)
    program: str | None = Field(default=None, max_length=40)  # None: every program
    from_year: int
    to_year: int | None = None  # inclusive; None: until lifted
    reason: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    created_at: datetime = created_at_field()
