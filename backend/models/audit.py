"""The audit log: one row per change, with the state before and after. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: int | None = bigint_pk()
    at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    actor_label: str = Field(max_length=80)  # username, or cli:<os user> for commands
    action: str = Field(max_length=40)  # firm.create, filing.revise, auth.login …
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
