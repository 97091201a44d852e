"""Tier history shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class TierTransitionRead(BaseModel):
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None
    at: datetime


class TierStatusRead(BaseModel):
    tier: str
    tier_label: str
    year: int
    state: str
    batch_label: str | None
    admission_no: str | None
    valid_from: date | None
    valid_to: date | None
    transitions: list[TierTransitionRead]
