"""Award request and response shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.core.bounds import Id
from backend.core.money import Yuan, yuan_text
from backend.firms.schemas import USCC_DESCRIPTION
from vocabulary.figures import MAX_YUAN

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Ids = Annotated[list[Id], Field(min_length=1, max_length=10_000, description="奖励编号")]


class ComputeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, description="奖励（评价）年度")
    program: str | None = Field(default=None, max_length=40, description="奖励项目；省略则计算全部奖励项目")


class ConflictRead(BaseModel):
    award_id: int
    uscc: str
    firm_name: str
    program: str
    year: int
    state: str
    amount_yuan: int
    computed_amount_yuan: int


class ComputeResult(BaseModel):
    year: int
    programs: list[str]
    created: int = 0
    unchanged: int = 0
    corrected: int = 0
    excluded: int = 0
    once_per_firm_skipped: int = 0
    conflicts: list[ConflictRead] = Field(default_factory=list)


class AwardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    firm_id: int
    program: str
    year: int
    amount_yuan: int
    state: str
    bureau_code: str
    once_per_firm: bool
    evaluation_id: int | None
    export_run_id: int | None
    paid_on: date | None
    payment_ref: str | None
    ruleset_hash: str | None
    corrects_id: int | None
    reason: str | None
    created_at: datetime
    updated_at: datetime


class AwardEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    award_id: int
    from_state: str | None
    to_state: str
    actor_label: str
    reason: str | None
    at: datetime


class AwardDetail(AwardRead):
    events: list[AwardEventRead]
    chain: list[AwardRead]  # oldest first: the awards this one corrects, itself, and what corrected it


class IdsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    award_ids: Ids
    reason: Text | None = None


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    award_ids: Ids
    reason: Text | None = Field(default=None, description="驳回原因（必填）")


class PaidRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    award_ids: Ids
    paid_on: date | None = Field(default=None, description="拨付日期（必填）")
    payment_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = Field(
        default=None, description="支付凭证号（必填）"
    )


class CorrectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_yuan: Annotated[Yuan, Field(description=f"更正后的金额（元，整数）：0 至 {yuan_text(MAX_YUAN)}")]
    reason: Text | None = Field(default=None, description="更正原因（必填）")


class TransitionResult(BaseModel):
    awards: list[AwardRead]
    warnings: list[str] = Field(default_factory=list)


class BudgetWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_yuan: Annotated[Yuan, Field(description=f"预算金额（元，整数）：0 至 {yuan_text(MAX_YUAN)}")]
    note: Text | None = None


class BudgetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program: str
    year: int
    amount_yuan: int
    note: str | None
    updated_at: datetime


class StateTotal(BaseModel):
    count: int = 0
    amount_yuan: int = 0


class ProgramSummary(BaseModel):
    program: str
    title: str
    by_state: dict[str, StateTotal]
    budget_yuan: int | None
    committed_yuan: int  # approved + exported + paid
    remaining_yuan: int | None  # budget - committed; None without a budget


class SummaryRead(BaseModel):
    year: int
    programs: list[ProgramSummary]


class ExclusionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(min_length=18, max_length=18, description=USCC_DESCRIPTION)
    program: str | None = Field(default=None, max_length=40, description="奖励项目；省略则排除全部奖励项目")
    from_year: int = Field(ge=2000, le=2100)
    to_year: int | None = Field(default=None, ge=2000, le=2100, description="含该年；省略则直至撤销")
    reason: Text | None = Field(default=None, description="排除原因（必填）")


class ExclusionRead(BaseModel):
    id: int
    firm_id: int
    uscc: str
    firm_name: str
    program: str | None
    from_year: int
    to_year: int | None
    reason: str
    created_at: datetime
