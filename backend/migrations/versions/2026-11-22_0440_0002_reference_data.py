"""Reference data the project owns: 16 districts, 19 review bureaus, 5 functional zones.

Copied from the city's published lists (policy.md §7); later corrections are new migrations.

Revision ID: 0002_reference_data
Revises: 0001_registry_core
Create Date: 2026-11-22 04:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_reference_data"
down_revision: str | None = "0001_registry_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code, name, group_2023, group_2022 (GB/T 2260)
DISTRICTS = [
    ("120101", "和平区", "中心城区", "市内六区"),
    ("120102", "河东区", "中心城区", "市内六区"),
    ("120103", "河西区", "中心城区", "市内六区"),
    ("120104", "南开区", "中心城区", "市内六区"),
    ("120105", "河北区", "中心城区", "市内六区"),
    ("120106", "红桥区", "中心城区", "市内六区"),
    ("120110", "东丽区", "环城四区", "九区"),
    ("120111", "西青区", "环城四区", "九区"),
    ("120112", "津南区", "环城四区", "九区"),
    ("120113", "北辰区", "环城四区", "九区"),
    ("120114", "武清区", "外围五区", "九区"),
    ("120115", "宝坻区", "外围五区", "九区"),
    ("120117", "宁河区", "外围五区", "九区"),
    ("120118", "静海区", "外围五区", "九区"),
    ("120119", "蓟州区", "外围五区", "九区"),
    ("120116", "滨海新区", "滨海新区", "滨海新区"),
]

# code, name (short form used in notices), district_code, kind
BUREAUS = [
    ("heping", "和平区科技局", "120101", "district"),
    ("hedong", "河东区科技局", "120102", "district"),
    ("hexi", "河西区科技局", "120103", "district"),
    ("nankai", "南开区科技局", "120104", "district"),
    ("hebei", "河北区科技局", "120105", "district"),
    ("hongqiao", "红桥区科技局", "120106", "district"),
    ("dongli", "东丽区科技局", "120110", "district"),
    ("xiqing", "西青区科技局", "120111", "district"),
    ("jinnan", "津南区科技局", "120112", "district"),
    ("beichen", "北辰区科技局", "120113", "district"),
    ("wuqing", "武清区科技局", "120114", "district"),
    ("baodi", "宝坻区科技局", "120115", "district"),
    ("ninghe", "宁河区科技局", "120117", "district"),
    ("jinghai", "静海区科技局", "120118", "district"),
    ("jizhou", "蓟州区科技局", "120119", "district"),
    ("binhai", "滨海新区科技局", "120116", "district"),
    ("teda", "经开区科技局", "120116", "zone"),
    ("bonded", "保税区科技局", "120116", "zone"),
    ("hightech", "高新区科技局", "120116", "zone"),
]

# code, name, full_name, district_code, review_bureau_code, has_own_bureau, confidence, note
ZONES = [
    (
        "teda",
        "经开区",
        "天津经济技术开发区",
        "120116",
        "teda",
        True,
        "C",
        "reviews tier filings through its own bureau",
    ),
    (
        "bonded",
        "保税区",
        "天津港保税区",
        "120116",
        "bonded",
        True,
        "C",
        "whether the zone includes the 空港 and 临港 areas is UNCONFIRMED",
    ),
    (
        "hightech",
        "高新区",
        "天津滨海高新技术产业开发区",
        "120116",
        "hightech",
        True,
        "C",
        "has its own reward policy (科企六条 2022-03)",
    ),
    (
        "dongjiang",
        "东疆",
        "东疆保税港区",
        "120116",
        "binhai",
        False,
        "P",
        "no own bureau in the 2023 list of 19; newer name 东疆综合保税区 is UNCONFIRMED",
    ),
    (
        "ecocity",
        "生态城",
        "中新天津生态城",
        "120116",
        "binhai",
        False,
        "P",
        "no own bureau in the 2023 list of 19; has its own 高企 reward policy",
    ),
]


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def upgrade() -> None:
    district = _table("district", "code", "name", "group_2023", "group_2022")
    bureau = _table("bureau", "code", "name", "district_code", "kind")
    zone = _table(
        "functional_zone",
        "code",
        "name",
        "full_name",
        "district_code",
        "review_bureau_code",
        "has_own_bureau",
        "confidence",
        "note",
    )
    op.bulk_insert(
        district, [dict(zip(("code", "name", "group_2023", "group_2022"), r, strict=True)) for r in DISTRICTS]
    )
    op.bulk_insert(
        bureau, [dict(zip(("code", "name", "district_code", "kind"), r, strict=True)) for r in BUREAUS]
    )
    zone_keys = (
        "code",
        "name",
        "full_name",
        "district_code",
        "review_bureau_code",
        "has_own_bureau",
        "confidence",
        "note",
    )
    op.bulk_insert(zone, [dict(zip(zone_keys, r, strict=True)) for r in ZONES])


def downgrade() -> None:
    op.execute("DELETE FROM functional_zone")
    op.execute("DELETE FROM bureau")
    op.execute("DELETE FROM district")
