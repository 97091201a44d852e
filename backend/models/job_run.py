"""Runs of scheduled jobs. The row unique on (job, fire time) is also the claim: a second
scheduler process that reaches the same fire finds it taken and does nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job_id", "fire_time"),)

    id: int | None = bigint_pk()
    job_id: str = Field(max_length=60)
    fire_time: datetime = Field(sa_type=DateTime(timezone=True))
    status: str = Field(max_length=12)  # running | succeeded | failed
    worker: str = Field(max_length=80)  # host:pid of the scheduler process that ran it
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    error: str | None = Field(default=None, max_length=2000)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
