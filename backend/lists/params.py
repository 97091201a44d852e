"""What a list export asks for (kind and filters), who may ask, and the canonical scope key.

The scope key names "the same list" across exports: the previous export of the same kind and
scope key is what a new export is diffed against. It never contains the format or ``final``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from backend.core.security import Actor
from backend.lists.errors import ExportForbidden, ExportInvalid
from backend.models import Role


class ListKind(StrEnum):
    certification = "certification"  # 入库名单
    public_notice = "public-notice"  # 公示名单
    disbursement = "disbursement"  # 拨付清单
    eligibility = "eligibility"  # 评价结果
    targets = "targets"  # 区县目标进度
    reminders = "reminders"  # 到期与年报提醒


KIND_TITLES = {
    ListKind.certification: "入库名单",
    ListKind.public_notice: "公示名单",
    ListKind.disbursement: "拨付清单",
    ListKind.eligibility: "评价结果",
    ListKind.targets: "区县目标进度",
    ListKind.reminders: "到期与年报提醒",
}
# export_run.kind (max 24 chars, snake case as the model documents)
RUN_KINDS = {kind: kind.value.replace("-", "_") for kind in ListKind}
FORMATS = ("xlsx", "csv")
DEFAULT_REMINDER_DAYS = 90


@dataclass(frozen=True)
class ListParams:
    """Filters of one list; which ones a kind needs is checked by ``validate``."""

    year: int | None = None
    program: str | None = None
    bureau: str | None = None
    batch: int | None = None  # tier_batch.id
    tier: str | None = None
    days: int = DEFAULT_REMINDER_DAYS
    final: bool = False

    def filters(self, kind: ListKind) -> dict[str, str]:
        """The filters that define the list, as text, in a fixed order (scope key and manifest)."""
        values: dict[str, object | None] = {
            "year": self.year,
            "program": self.program,
            "bureau": self.bureau,
            "batch": self.batch,
            "tier": self.tier,
            "days": self.days if kind is ListKind.reminders else None,
        }
        return {key: str(value) for key, value in values.items() if value is not None}

    def scope_key(self, kind: ListKind) -> str:
        parts = [f"{key}={value}" for key, value in self.filters(kind).items()]
        return ";".join([RUN_KINDS[kind], *parts])[:200]


NEEDS_YEAR = (ListKind.disbursement, ListKind.eligibility, ListKind.targets)
NEEDS_BATCH = (ListKind.certification, ListKind.public_notice)
# Finance works from award lists only; firms' filings and evaluations are not theirs to see.
FINANCE_KINDS = (ListKind.disbursement,)


def parse_kind(value: str) -> ListKind:
    try:
        return ListKind(value)
    except ValueError:
        choices = "、".join(k.value for k in ListKind)
        raise ExportInvalid("kind", value, f"没有“{value}”这种清单：可选 {choices}") from None


def validate(kind: ListKind, params: ListParams) -> None:
    if kind in NEEDS_YEAR and params.year is None:
        raise ExportInvalid("year", None, f"导出{KIND_TITLES[kind]}须指定年度")
    if kind in NEEDS_BATCH and params.batch is None:
        raise ExportInvalid("batch", None, f"导出{KIND_TITLES[kind]}须指定批次")
    if params.final and kind is not ListKind.disbursement:
        raise ExportInvalid("final", True, "只有拨付清单可以导出正式版（final）")
    if not 1 <= params.days <= 3660:
        raise ExportInvalid("days", params.days, "提醒天数应在 1 到 3660 之间")


def scoped(actor: Actor, kind: ListKind, params: ListParams) -> ListParams:
    """The params this actor may export: a bureau's forced to its own bureau; others refused."""
    validate(kind, params)
    if actor.role is Role.enterprise:
        raise ExportForbidden("企业用户不能导出清单")
    if actor.role is Role.finance and kind not in FINANCE_KINDS:
        raise ExportForbidden(f"财务人员只能导出拨付清单，不能导出{KIND_TITLES[kind]}")
    if actor.role is Role.bureau:
        if params.bureau not in (None, actor.bureau_code):
            raise ExportForbidden("区科技局只能导出本审查单位的清单")
        if params.final:
            raise ExportForbidden("正式拨付清单由财务或市科技局导出")
        return replace(params, bureau=actor.bureau_code)
    if params.final and actor.role not in (Role.finance, Role.city, Role.admin):
        raise ExportForbidden("当前角色不能导出正式拨付清单")
    return params
