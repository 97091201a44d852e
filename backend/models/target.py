"""District targets from the planning documents (e.g. 静海区 2022: > 260 高企, +51 雏鹰)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk


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
