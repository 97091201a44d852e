"""Reference data the project owns: the 16 districts, functional zones and 19 review bureaus."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class District(SQLModel, table=True):
    __tablename__ = "district"

    code: str = Field(primary_key=True, max_length=6)  # GB/T 2260, e.g. 120118
    name: str = Field(max_length=20, unique=True)
    group_2023: str = Field(max_length=20)  # 中心城区 / 环城四区 / 外围五区 / 滨海新区
    group_2022: str = Field(max_length=20)


class Bureau(SQLModel, table=True):
    """A review bureau (审查单位): 16 district bureaus plus 经开区, 保税区 and 高新区."""

    __tablename__ = "bureau"

    code: str = Field(primary_key=True, max_length=16)  # stable ASCII key: jinghai, teda …
    name: str = Field(max_length=40, unique=True)  # short form used in notices: 静海区科技局
    district_code: str = Field(foreign_key="district.code", max_length=6)
    kind: str = Field(max_length=10)  # district | zone


class FunctionalZone(SQLModel, table=True):
    __tablename__ = "functional_zone"

    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=20, unique=True)
    full_name: str = Field(max_length=60)
    district_code: str = Field(foreign_key="district.code", max_length=6)
    review_bureau_code: str = Field(foreign_key="bureau.code", max_length=16)
    has_own_bureau: bool
    confidence: str = Field(max_length=1)  # C / P / U as in policy.md
    note: str = Field(default="", max_length=200)
