"""Request and response shapes for firms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from backend.core.provenance_schemas import ProvenanceRead
from importers import uscc
from vocabulary.ladder import Tier

USCC_DESCRIPTION = (
    "统一社会信用代码（GB 32100）：18 位，由数字和大写字母（不含 I、O、S、V、Z）组成，"
    "第 1 位为 1–9、A、N 或 Y，第 3–8 位为行政区划代码，第 18 位为校验码；"
    "前后空格、小写字母和全角字符会先被规范化"
)
# The canonical form; what is sent is normalised first, so the schema states it in words.
USCC_PATTERN = uscc.WELL_FORMED.pattern
UsccIn = Annotated[
    str,
    AfterValidator(uscc.require_accepted),
    Field(description=f"{USCC_DESCRIPTION}。规范形式：{USCC_PATTERN}", examples=["91120118MA06R1D13A"]),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# The 8 key technology fields of 《国家重点支持的高新技术领域》 (policy.md §3.3).
TechField = Literal[
    "electronic_information",  # 电子信息
    "biomedicine",  # 生物与新医药
    "aerospace",  # 航空航天
    "new_materials",  # 新材料
    "hightech_services",  # 高技术服务
    "new_energy",  # 新能源与节能
    "resources_environment",  # 资源与环境
    "advanced_manufacturing",  # 先进制造与自动化
]


class FirmCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: UsccIn
    name: Name
    bureau_code: str = Field(max_length=16)
    district_code: str | None = Field(default=None, max_length=6)  # derived from the bureau if omitted
    functional_zone: str | None = Field(default=None, max_length=16)
    registered_on: date
    legal_form: str | None = Field(default=None, max_length=40)
    tech_field: TechField | None = None


class FirmUpdate(BaseModel):
    """Fields to change; omitted ones stay. Every accepted change is a new firm revision."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    bureau_code: str | None = Field(default=None, max_length=16)
    district_code: str | None = Field(default=None, max_length=6)
    functional_zone: str | None = Field(default=None, max_length=16)
    registered_on: date | None = None
    legal_form: str | None = Field(default=None, max_length=40)
    tech_field: TechField | None = None
    note: str | None = Field(default=None, max_length=500)  # why it changed (更名, 迁址 …)

    @field_validator("name", "bureau_code", "district_code", "registered_on", mode="before")
    @classmethod
    def _kept_or_given(cls, value: object) -> object:
        # Omitted means unchanged; an explicit null would blank a field every firm must have.
        if value is None:
            raise ValueError("不能为空（省略该字段则保持不变）")
        return value


class FirmIdentityRead(BaseModel):
    """The identity fields a firm and each of its revisions carry."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    legal_form: str | None
    bureau_code: str
    district_code: str
    functional_zone: str | None
    registered_on: date
    tech_field: str | None


class FirmRead(FirmIdentityRead):
    uscc: str
    uscc_status: str
    revision_no: int
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = []


class FirmSummary(BaseModel):
    uscc: str
    name: str
    bureau_code: str
    district_code: str
    functional_zone: str | None
    registered_on: date
    tiers: list[Tier]  # tiers currently held (admitted)


class FirmRevisionRead(FirmIdentityRead):
    revision_no: int
    provenance: ProvenanceRead
