"""Rule sets as the API shows them: every param with its value, source and status."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RuleSetSummary(BaseModel):
    program: str
    kind: str
    title: str
    version: str
    effective_from: date
    effective_to: date | None
    reference: str
    in_force_today: bool
    provisional_params: int
    enabled: bool
    content_hash: str


class ParamDetail(BaseModel):
    name: str
    value: Any
    values: list[dict[str, Any]] | None
    reference: str
    status: str
    unit: str
    note: str


class CriterionDetail(BaseModel):
    id: str
    label: str
    reference: str
    kind: str
    test: str | None
    advice: str | None
    children: list[CriterionDetail]


class RuleSetDetail(RuleSetSummary):
    measured_at: str
    description: str
    params: list[ParamDetail]
    criteria: CriterionDetail
    amount: str | None
    amount_cap_param: str | None
    score: str | None
    once_per_firm: bool
    excludes: list[str]
    depends_on: list[str]


class DiffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program: str
    old_version: str
    new_version: str
    year: int = Field(ge=2000, le=2200)
    bureau: str | None = None
    limit: int = Field(default=500, ge=0, le=100_000)  # firms listed (counts cover all)


class FirmChange(BaseModel):
    uscc: str
    name: str
    bureau: str
    old: str
    new: str
    change: str  # gained | lost | changed
    reasons: list[str]  # criterion: old outcome → new outcome


class AwardDelta(BaseModel):
    bureau: str
    program: str
    old_yuan: int
    new_yuan: int
    delta_yuan: int


class DiffRead(BaseModel):
    program: str
    old_version: str
    new_version: str
    year: int
    firms_evaluated: int
    counts: dict[str, int]
    firms: list[FirmChange]
    awards: list[AwardDelta]
    award_delta_yuan: int
