"""The states things move through and the outcomes of decisions, each with one Chinese word.

One word for one thing everywhere: pages, exported lists, messages and the API's ``*_label``
fields all take their words from here.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """A program's decision for one firm."""

    eligible = "eligible"
    ineligible = "ineligible"
    unknown = "unknown"  # 资料不全: what decides it is missing; never a pass


OUTCOME_LABELS: dict[str, str] = {
    Outcome.eligible: "符合",
    Outcome.ineligible: "不符合",
    Outcome.unknown: "资料不全",
}


class CriterionOutcome(StrEnum):
    """One criterion of a decision."""

    passed = "pass"
    failed = "fail"
    unknown = "unknown"


CRITERION_LABELS: dict[str, str] = {
    CriterionOutcome.passed: "达标",
    CriterionOutcome.failed: "未达标",
    CriterionOutcome.unknown: "资料不全",
}


class TierState(StrEnum):
    candidate = "candidate"  # nominated, waiting for the district review
    district_approved = "district_approved"  # 区审查 passed
    city_approved = "city_approved"  # 市级审核 (and on-site check for leaders) passed
    public_notice = "public_notice"  # 公示
    admitted = "admitted"  # 公告入库
    rejected = "rejected"
    revoked = "revoked"
    expired = "expired"


TIER_STATE_LABELS: dict[str, str] = {
    TierState.candidate: "候选",
    TierState.district_approved: "区审查通过",
    TierState.city_approved: "市级审核通过",
    TierState.public_notice: "公示中",
    TierState.admitted: "已入库",
    TierState.rejected: "未通过",
    TierState.revoked: "已撤销",
    TierState.expired: "已失效",
}


class BatchState(StrEnum):
    open = "open"  # candidates reviewed by districts and the city
    public_notice = "public_notice"  # 公示: the notice window runs, objections are recorded
    admitted = "admitted"  # 公告入库: admission numbers given, the batch is closed


BATCH_STATE_LABELS: dict[str, str] = {
    BatchState.open: "审核中",
    BatchState.public_notice: "公示中",
    BatchState.admitted: "已公告入库",
}


class ObjectionOutcome(StrEnum):
    pending = "pending"
    upheld = "upheld"  # the member is rejected
    dismissed = "dismissed"  # the member stays in 公示


OBJECTION_LABELS: dict[str, str] = {
    ObjectionOutcome.pending: "待处理",
    ObjectionOutcome.upheld: "异议成立",
    ObjectionOutcome.dismissed: "异议不成立",
}


class AwardState(StrEnum):
    computed = "computed"
    district_reviewed = "district_reviewed"
    approved = "approved"
    exported = "exported"  # on a final 拨付清单
    paid = "paid"
    rejected = "rejected"  # refused in review (with a reason); never paid
    superseded = "superseded"  # replaced by a correction


AWARD_STATE_LABELS: dict[str, str] = {
    AwardState.computed: "已计算",
    AwardState.district_reviewed: "区级已审核",
    AwardState.approved: "已批准",
    AwardState.exported: "已列入拨付清单",
    AwardState.paid: "已拨付",
    AwardState.rejected: "已驳回",
    AwardState.superseded: "已被更正",
}


class ImportRunStatus(StrEnum):
    dry_run = "dry_run"  # previewed: stored with its issues, nothing else written
    committed = "committed"
    duplicate = "duplicate"  # the same file (sha256) was imported before


IMPORT_RUN_LABELS: dict[str, str] = {
    ImportRunStatus.dry_run: "预览（未写入）",
    ImportRunStatus.committed: "已导入",
    ImportRunStatus.duplicate: "重复文件（未写入）",
}


class JobStatus(StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    interrupted = "interrupted"  # its process died; marked by the next leader
    idle = "idle"  # found nothing to do


JOB_STATUS_LABELS: dict[str, str] = {
    JobStatus.running: "运行中",
    JobStatus.succeeded: "成功",
    JobStatus.failed: "失败",
    JobStatus.interrupted: "中断",
    JobStatus.idle: "无事可做",
}


class Validity(StrEnum):
    """A certificate on a given day."""

    valid = "valid"
    expired = "expired"
    not_yet_valid = "not_yet_valid"
    revoked = "revoked"


VALIDITY_LABELS: dict[str, str] = {
    Validity.valid: "有效",
    Validity.expired: "已过期",
    Validity.not_yet_valid: "未生效",
    Validity.revoked: "已撤销",
}


class Role(StrEnum):
    enterprise = "enterprise"  # bound to one firm
    bureau = "bureau"  # bound to one review bureau
    city = "city"
    finance = "finance"
    admin = "admin"


ROLE_LABELS: dict[str, str] = {
    Role.enterprise: "企业",
    Role.bureau: "区科技局",
    Role.city: "市科技局",
    Role.finance: "财务",
    Role.admin: "管理员",
}


def roles_text(roles: frozenset[Role]) -> str:
    """Roles as a sentence names them, in their declared order: 市科技局、财务或管理员."""
    words = [ROLE_LABELS[role] for role in Role if role in roles]
    return "或".join(["、".join(words[:-1]), words[-1]]) if len(words) > 1 else "".join(words)
