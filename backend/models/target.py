"""District targets from the planning documents (e.g. 静海区 2022: > 260 高企, +51 雏鹰)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk
from backend.models.tier import TIER_LABELS, Tier


def _metric_labels() -> dict[str, str]:
    labels = {"hte_total": "国家高新技术企业（有效证书）"}
    for tier in Tier:
        name = TIER_LABELS[tier]
        labels |= {f"{tier}_new": f"{name}新入库", f"{tier}_cumulative": f"{name}累计入库",
                   f"{tier}_total": f"{name}在库"}  # fmt: skip
    # Named in planning documents, not measured from the registry.
    return labels | {"rd_intensity": "研发投入强度", "invention_patents": "发明专利拥有量",
                     "contract_turnover_yuan": "技术合同成交额（元）"}  # fmt: skip


# How pages and exported lists name each target's metric and kind.
TARGET_METRIC_LABELS = _metric_labels()
TARGET_KIND_LABELS = {"stock": "存量", "flow": "当年新增", "cumulative": "累计"}


class DistrictTarget(SQLModel, table=True):
    __tablename__ = "district_target"
    __table_args__ = (UniqueConstraint("bureau_code", "year", "metric"),)

    id: int | None = bigint_pk()
    bureau_code: str = Field(foreign_key="bureau.code", max_length=16)
    year: int
    metric: str = Field(max_length=40)  # hte_total, seedling_new, gazelle_new, leader_cumulative …
    kind: str = Field(max_length=12)  # stock | flow | cumulative: a target needs its kind
    unit: str = Field(max_length=8)  # count | ratio | yuan
    target: Decimal = Field(sa_type=Numeric(20, 4))
    responsible: str = Field(default="", max_length=200)  # 区科技局, 区发改委 …
