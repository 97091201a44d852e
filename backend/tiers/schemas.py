"""Tier history shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from backend.core.bounds import Id


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


# -- the admission workflow ---------------------------------------------------------------

Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=400)]


class BatchCreate(BaseModel):
    year: int = Field(ge=2000, le=2100, description="评价（申报）年度")


class BatchRead(BaseModel):
    id: int
    year: int
    seq: int
    label: str
    state: str  # open | public_notice | admitted
    state_label: str
    notice_from: date | None
    notice_to: date | None
    announced_on: date | None


class BatchDetailRead(BatchRead):
    counts: dict[str, dict[str, int]]  # tier -> state -> members (in the caller's scope)


class NominationRead(BaseModel):
    batch_id: int
    year: int
    created: dict[str, int]  # tier -> new candidates from eligible evaluations
    attached: dict[str, int]  # tier -> earlier candidates that had waited for a batch


class ReviewRequest(BaseModel):
    status_ids: list[Id] = Field(
        min_length=1, max_length=5000, description="梯度记录 id（全部成功或全部不变）"
    )
    decision: Literal["approve", "reject"]
    reason: Reason | None = Field(default=None, description="驳回理由（驳回时必填）")


class CityReviewRequest(ReviewRequest):
    site_check: Reason | None = Field(
        default=None, description="现场调查情况（科技领军企业、科技领军培育企业审核通过时必填）"
    )


class StatusRead(BaseModel):
    id: int
    uscc: str
    firm_name: str
    bureau_code: str
    tier: str
    year: int
    state: str
    state_label: str
    batch_id: int | None
    admission_no: str | None
    valid_from: date | None


class NoticeRequest(BaseModel):
    notice_from: date | None = Field(default=None, description="公示开始日期（默认今天）")
    notice_to: date | None = Field(default=None, description="公示结束日期（含当天，默认开始后第7天）")


class NoticeRead(BaseModel):
    batch: BatchRead
    in_notice: list[StatusRead]
    moved_out: list[StatusRead]  # not yet city-approved: they wait for the next batch


class ObjectionCreate(BaseModel):
    received_on: date | None = Field(default=None, description="收到异议的日期（默认今天）")
    submitted_by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ObjectionResolve(BaseModel):
    outcome: Literal["upheld", "dismissed"]
    resolution: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class ObjectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tier_status_id: int
    received_on: date
    submitted_by: str
    content: str
    outcome: str  # pending | upheld | dismissed
    resolution: str | None
    resolved_at: datetime | None


class AdmitRequest(BaseModel):
    announced_on: date | None = Field(default=None, description="公告入库日期（默认今天，须晚于公示期）")


class AdmitRead(BaseModel):
    batch: BatchRead
    admitted: list[StatusRead]


class AnnualReviewRequest(BaseModel):
    year: int = Field(ge=2000, le=2100, description="复评年度")


class AnnualReviewItem(BaseModel):
    status_id: int
    uscc: str
    firm_name: str
    tier: str
    admitted_year: int
    note: str  # 2026年复评通过 | the failed criteria | 资料不全，待补充


class AnnualReviewRead(BaseModel):
    year: int
    kept: list[AnnualReviewItem]
    revoked: list[AnnualReviewItem]
    incomplete: list[AnnualReviewItem]  # unknown or no evaluation: nothing changed
    already_reviewed: int  # passed this year's 复评 before: not counted again


class BatchMemberRow(BaseModel):
    """One member of a batch as lists and exports show it (公示名单, 入库名单)."""

    status_id: int
    uscc: str
    name: str
    bureau_code: str
    bureau_name: str
    district_code: str
    tier: str
    tier_label: str
    state: str
    year: int
    admission_no: str | None
    valid_from: date | None


class BatchMemberRead(BatchMemberRow):
    state_label: str
    objections: list[ObjectionRead]
