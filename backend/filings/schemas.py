"""Request and response shapes for filings and their revisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from backend.core.bounds import MAX_COUNT, Count
from backend.core.money import SignedYuan, Yuan
from backend.core.provenance_schemas import ProvenanceRead
from backend.models import FilingFigures
from rules.facts import FILING_FIELDS


# The allowed values are the rules' fact schema's: one list for the API, importers and rules.
# "none" is reported as none; null is not reported (and makes criteria that read it unknown).
def _choice(name: str) -> Any:
    spec = next(spec for spec in FILING_FIELDS if spec.name == name)
    return Literal[spec.choices]


if TYPE_CHECKING:  # the checker sees text; at run time they are the schema's Literals
    ContestLevel: TypeAlias = str
    AwardLevel: TypeAlias = str
    InstitutionLevel: TypeAlias = str
    StandardLevel: TypeAlias = str
    StandardRole: TypeAlias = str
    ProjectLevel: TypeAlias = str
else:
    ContestLevel = _choice("contest_level")
    AwardLevel = _choice("st_award_level")
    InstitutionLevel = _choice("rd_institution_level")
    StandardLevel = _choice("standard_level")
    StandardRole = _choice("standard_role")
    ProjectLevel = _choice("project_level")


# The filing table's own check (fiscal_year BETWEEN 1980 AND 2200), said before the database does.
FiscalYear = Annotated[int, Field(ge=1980, le=2200, description="会计年度：1980 至 2200")]


class FilingFiguresIn(FilingFigures):
    """Figures as a client sends them: money in integer 元, counts ≥ 0, levels from fixed lists."""

    # An unknown field is an error, never silently dropped.
    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]  # SQLModelConfig is a ConfigDict

    revenue_yuan: Yuan | None = None
    total_income_yuan: Yuan | None = None
    hitech_revenue_yuan: Yuan | None = None
    rd_expense_yuan: Yuan | None = None
    rd_domestic_yuan: Yuan | None = None
    total_cost_yuan: Yuan | None = None
    total_assets_yuan: Yuan | None = None
    employees: Count | None = None
    tech_staff: Count | None = None
    ip_class1: Count | None = None
    ip_class2: Count | None = None
    tech_transformations: Count | None = None
    max_single_vc_yuan: Yuan | None = None
    net_assets_yuan: SignedYuan | None = None  # may be negative
    contest_level: ContestLevel | None = None
    contest_prize: int | None = Field(default=None, ge=1, le=5)  # 1 特等奖 … 5 优秀奖
    st_award_level: AwardLevel | None = None
    st_award_rank: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    rd_institution_level: InstitutionLevel | None = None
    standard_level: StandardLevel | None = None
    standard_role: StandardRole | None = None
    project_level: ProjectLevel | None = None
    hte_score_ip_quality: int | None = Field(default=None, ge=0, le=22)
    hte_score_conversion: int | None = Field(default=None, ge=0, le=30)
    hte_score_management: int | None = Field(default=None, ge=0, le=20)


class FilingCreate(FilingFiguresIn):
    fiscal_year: FiscalYear
    note: str | None = Field(default=None, max_length=500)


class FilingUpdate(FilingFiguresIn):
    """Only the figures sent change (null clears one); the result is a new revision."""

    note: str | None = Field(default=None, max_length=500)


class FilingRead(FilingFigures):
    fiscal_year: int
    revision_no: int  # the current revision
    updated_at: datetime
    provenance: ProvenanceRead  # of the current revision


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class FilingRevisionRead(FilingFigures):
    revision_no: int
    provenance: ProvenanceRead
    changes: list[FieldChange]  # against the previous revision; every reported field for the first
