"""The shape every state history row shares: from which state to which, who moved it, why, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from backend.models.base import created_at_field


class StateHistory(SQLModel):
    """Columns of ``tier_transition`` and ``award_event``; each table adds the key of what moved.

    Written by ``backend.core.machine.Machine.move`` (and, set-based, by award computation's SQL).
    """

    from_state: str | None = Field(default=None, max_length=20)  # None: the record was new
    to_state: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="user.id", sa_type=BigInteger)
    actor_label: str = Field(max_length=80)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = created_at_field()
