"""Filings: one firm's figures for one fiscal year, kept as append-only revisions.

``filing`` is the (firm, fiscal year) key and points at its current revision;
``filing_revision`` rows are never updated or deleted (a trigger enforces it), so every past
state stays readable together with where it came from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field, money_field, utc_now
from backend.models.provenance import Provenance
from vocabulary.figures import FILING_FIGURES, Kind

# Amounts and counts the vocabulary bounds at zero: the database refuses negatives too.
NON_NEGATIVE = tuple(
    figure.name
    for figure in FILING_FIGURES
    if figure.kind in (Kind.money, Kind.quantity) and figure.minimum == 0
)


class FilingFigures(SQLModel):
    """What a firm reports for a fiscal year. Money in integer 元; None means not reported.

    Written out for the type checker; ``vocabulary.figures.FILING_FIGURES`` declares each figure
    (label, unit, bounds, choices) and a test holds the two equal.
    """

    revenue_yuan: int | None = money_field()  # 营业收入
    total_income_yuan: int | None = money_field()  # 总收入 (高企 high-tech revenue share)
    hitech_revenue_yuan: int | None = money_field()  # 高新技术产品(服务)收入
    rd_expense_yuan: int | None = money_field()  # 研发费用 total
    rd_domestic_yuan: int | None = money_field()  # 境内研发费用
    total_cost_yuan: int | None = money_field()  # 成本费用总额 (科小 R&D ÷ cost)
    total_assets_yuan: int | None = money_field()  # 资产总额
    net_assets_yuan: int | None = money_field()  # 净资产 (may be negative)
    employees: int | None = None  # 职工总数
    tech_staff: int | None = None  # 科技人员数
    ip_class1: int | None = None  # valid I类 IP (发明专利 …)
    ip_class2: int | None = None  # valid II类 IP (实用新型, 外观设计, 软著)
    tech_transformations: int | None = None  # 科技成果转化 count in the year
    max_single_vc_yuan: int | None = money_field()  # 单笔单家创业投资最大额
    contest_level: str | None = Field(default=None, max_length=12)  # national | provincial
    contest_prize: int | None = None  # 1 特等 … 5 优秀奖 (best prize reached at a final)
    st_award_level: str | None = Field(default=None, max_length=12)  # national | provincial
    st_award_rank: int | None = None  # rank among the awarded units
    rd_institution_level: str | None = Field(default=None, max_length=12)  # national | provincial | municipal
    standard_level: str | None = Field(default=None, max_length=16)  # international … enterprise
    standard_role: str | None = Field(default=None, max_length=12)  # led | participated
    project_level: str | None = Field(default=None, max_length=12)  # national | provincial
    research_misconduct: bool | None = None  # 科研严重失信
    abnormal_operation: bool | None = None  # 经营异常名录
    serious_violation: bool | None = None  # 严重违法失信企业名单
    major_incident: bool | None = None  # 重大安全/质量事故、严重环境违法
    serious_fraud: bool | None = None  # 严重弄虚作假
    # 高企 innovation score parts that reviewers score (工作指引); tidu computes the rest.
    hte_score_ip_quality: int | None = None  # 技术先进程度 + 核心支持作用 + 获得方式, ≤ 22
    hte_score_conversion: int | None = None  # 科技成果转化能力, ≤ 30
    hte_score_management: int | None = None  # 研究开发组织管理水平, ≤ 20
    hte_score_total: int | None = None  # the experts' total, 0–100: decides when given


class Filing(SQLModel, table=True):
    __tablename__ = "filing"
    __table_args__ = (
        UniqueConstraint("firm_id", "fiscal_year"),
        CheckConstraint("fiscal_year BETWEEN 1980 AND 2200", name="fiscal_year_range"),
    )

    id: int | None = bigint_pk()
    firm_id: int = Field(foreign_key="firm.id", sa_type=BigInteger)
    fiscal_year: int
    current_revision_no: int = 1
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


class FilingRevision(FilingFigures, Provenance, table=True):
    __tablename__ = "filing_revision"
    __table_args__ = (
        UniqueConstraint("filing_id", "revision_no"),
        CheckConstraint("tech_staff <= employees", name="tech_staff_within_employees"),
        CheckConstraint("hte_score_total BETWEEN 0 AND 100", name="hte_score_total_range"),
        *(CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative") for column in NON_NEGATIVE),
    )

    id: int | None = bigint_pk()
    # Lookups by filing use uq_filing_revision_filing_id_revision_no (filing_id leads it).
    filing_id: int = Field(foreign_key="filing.id", sa_type=BigInteger)
    revision_no: int
