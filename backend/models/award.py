"""Awards: money a firm gets from a subsidy program for a year, through review to payment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, text
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field, utc_now


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
        CheckConstraint("amount_yuan >= 0", name="amount_non_negative"),
    )

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger, index=True)
    program: str = Field(max_length=40)
    year: int
    amount_yuan: int = Field(sa_type=BigInteger)
    state: str = Field(max_length=20)
    ruleset_hash: str | None = Field(default=None, foreign_key="ruleset_version.content_hash", max_length=64)
    corrects_id: int | None = Field(default=None, foreign_key="award.id", sa_type=BigInteger, unique=True)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))
