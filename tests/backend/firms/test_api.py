"""Registering, finding and changing firms through the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import TierStatus
from tests.factories.firms import make_firm, new_uscc
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role


@pytest.fixture
async def city(session: AsyncSession) -> LoggedIn:
    return await make_user(session, Role.city)


def new_firm(**overrides: Any) -> dict[str, Any]:
    return {
        "uscc": new_uscc("120118"),
        "name": "天津静海智造科技有限公司",
        "bureau_code": "jinghai",
        "registered_on": "2020-05-18",
        "tech_field": "advanced_manufacturing",
    } | overrides


async def test_register_firm_derives_the_district_and_records_revision_one(
    client: httpx.AsyncClient, city: LoggedIn
) -> None:
    body = new_firm(uscc=" ９１" + new_uscc("120118")[2:].lower() + " ")
    response = await client.post("/api/firms", json=body, headers=city.headers)
    assert response.status_code == 201, response.text
    firm = response.json()
    assert firm["uscc"] == body["uscc"].strip().replace("９１", "91").upper()
    assert firm["district_code"] == "120118"
    assert firm["revision_no"] == 1
    assert firm["uscc_status"] == "valid"
    history = (await client.get(f"/api/firms/{firm['uscc']}/history", headers=city.headers)).json()
    assert [(h["revision_no"], h["name"], h["provenance"]["created_by"]) for h in history] == [
        (1, "天津静海智造科技有限公司", city.user.username)
    ]


@pytest.mark.parametrize(
    ("uscc", "reason"),
    [
        ("9112011859293820", "长度应为18位，实际为16位"),
        ("91120118MA06R1DI3A", "第16位字符“I”不合法"),
        ("91120118MA06R1D13B", "校验码应为“A”，实际为“B”"),
    ],
)
async def test_invalid_credit_code_is_422_naming_field_value_and_reason(
    client: httpx.AsyncClient, city: LoggedIn, uscc: str, reason: str
) -> None:
    response = await client.post("/api/firms", json=new_firm(uscc=uscc), headers=city.headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    error = body["context"]["errors"][0]
    assert error["field"] == "uscc"
    assert error["label"] == "统一社会信用代码"
    assert error["value"] == uscc
    assert reason in error["message"]
    assert reason in body["detail"]


async def test_pilot_exception_code_is_accepted_with_a_warning(
    client: httpx.AsyncClient, city: LoggedIn
) -> None:
    response = await client.post(
        "/api/firms", json=new_firm(uscc="91350100M0001TGQXM", bureau_code="heping"), headers=city.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["uscc_status"] == "pilot_exception"
    assert "试点" in response.json()["warnings"][0]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"bureau_code": "atlantis"}, "bureau_code", "审查单位“atlantis”不存在"),
        ({"district_code": "120101"}, "district_code", "所属区应与审查单位一致"),
        ({"functional_zone": "teda"}, "functional_zone", "不属于 静海区科技局"),
        ({"functional_zone": "moon"}, "functional_zone", "功能区“moon”不存在"),
        ({"registered_on": "2999-01-01"}, "registered_on", "注册日期不能晚于今天"),
        ({"tech_field": "astrology"}, "tech_field", "应为以下之一"),
        ({"name": "   "}, "name", "长度不能少于"),
        ({"colour": "red"}, "colour", "不允许的字段"),
    ],
)
async def test_bad_firm_fields_are_422_with_the_field_named(
    client: httpx.AsyncClient, city: LoggedIn, overrides: dict[str, Any], field: str, fragment: str
) -> None:
    response = await client.post("/api/firms", json=new_firm(**overrides), headers=city.headers)
    assert response.status_code == 422, response.text
    errors = response.json()["context"]["errors"]
    assert errors[0]["field"] == field
    assert fragment in errors[0]["message"]


async def test_zone_firms_go_to_their_zone_bureau(client: httpx.AsyncClient, city: LoggedIn) -> None:
    teda = await client.post(
        "/api/firms",
        json=new_firm(uscc=new_uscc("120116"), bureau_code="teda", functional_zone="teda"),
        headers=city.headers,
    )
    eco = await client.post(
        "/api/firms",
        json=new_firm(uscc=new_uscc("120116"), bureau_code="binhai", functional_zone="ecocity"),
        headers=city.headers,
    )
    assert teda.status_code == eco.status_code == 201
    assert teda.json()["district_code"] == eco.json()["district_code"] == "120116"


async def test_duplicate_credit_code_is_409_and_nothing_is_written(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    response = await client.post(
        "/api/firms", json=new_firm(uscc=firm.uscc, name="另一个名字"), headers=city.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "firm.duplicate"
    found = (await client.get("/api/firms", params={"uscc": firm.uscc}, headers=city.headers)).json()
    assert [item["name"] for item in found["items"]] == [firm.name]


async def test_rename_and_move_keep_the_old_values_in_history(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    firm = await make_firm(session, "jinghai")
    response = await client.patch(
        f"/api/firms/{firm.uscc}",
        json={"name": "天津新名字科技股份有限公司", "bureau_code": "heping", "note": "更名并迁址"},
        headers=city.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["district_code"] == "120101"  # follows the new bureau
    assert response.json()["revision_no"] == 2
    history = (await client.get(f"/api/firms/{firm.uscc}/history", headers=city.headers)).json()
    assert [(h["name"], h["bureau_code"]) for h in history] == [
        (firm.name, "jinghai"),
        ("天津新名字科技股份有限公司", "heping"),
    ]
    assert history[1]["provenance"]["note"] == "更名并迁址"
    assert history[1]["provenance"]["created_by"] == city.user.username


async def test_update_without_changes_adds_no_revision(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    response = await client.patch(f"/api/firms/{firm.uscc}", json={"name": firm.name}, headers=city.headers)
    assert response.status_code == 200
    assert response.json()["revision_no"] == 1


async def test_bureau_cannot_move_a_firm_to_another_bureau(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session, "jinghai")
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    response = await client.patch(
        f"/api/firms/{firm.uscc}", json={"bureau_code": "heping"}, headers=bureau.headers
    )
    assert response.status_code == 403
    assert "市科技局" in response.json()["detail"]


async def test_search_by_code_prefix_name_fragment_bureau_and_tier(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    a = await make_firm(session, "jinghai", name="天津蓝海生物医药有限公司")
    b = await make_firm(session, "jinghai", name="天津蓝海新材料有限公司")
    c = await make_firm(session, "heping", name="天津和平软件有限公司")
    session.add(
        TierStatus(
            firm_id=b.id or 0, tier="seedling", year=2024, state="admitted", valid_from=date(2024, 7, 1)
        )
    )
    session.add(TierStatus(firm_id=c.id or 0, tier="seedling", year=2024, state="rejected"))
    await session.flush()

    async def names(**params: Any) -> list[str]:
        response = await client.get("/api/firms", params=params, headers=city.headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names(q="蓝海") == sorted([a.name, b.name])  # code-point order, the same on every server
    assert await names(q="蓝海", bureau="heping") == []
    assert await names(uscc=a.uscc[:17].lower()) == [a.name]
    assert await names(tier="seedling") == [b.name]  # c's application was rejected: it holds no tier
    assert await names(q="%") == []  # wildcards are literal
    summary = (await client.get("/api/firms", params={"q": "蓝海新材料"}, headers=city.headers)).json()[
        "items"
    ][0]
    assert summary["tiers"] == ["seedling"]


async def test_search_pages_are_stable_and_counted(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    for i in range(5):
        await make_firm(session, "jizhou", name=f"天津蓟州分页测试{i}有限公司")
    first = (
        await client.get("/api/firms", params={"bureau": "jizhou", "size": 2}, headers=city.headers)
    ).json()
    third = (
        await client.get(
            "/api/firms", params={"bureau": "jizhou", "size": 2, "page": 3}, headers=city.headers
        )
    ).json()
    assert first["total"] == third["total"] == 5
    assert [i["name"] for i in first["items"]] == ["天津蓟州分页测试0有限公司", "天津蓟州分页测试1有限公司"]
    assert [i["name"] for i in third["items"]] == ["天津蓟州分页测试4有限公司"]
    too_big = await client.get("/api/firms", params={"size": 1000}, headers=city.headers)
    assert too_big.status_code == 422
    assert too_big.json()["context"]["errors"][0]["field"] == "size"


async def test_search_with_unknown_bureau_is_422(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.get("/api/firms", params={"bureau": "atlantis"}, headers=city.headers)
    assert response.status_code == 422
    assert response.json()["context"]["errors"][0]["field"] == "bureau"


async def test_firm_detail_brings_filings_certificates_and_tiers(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    from backend.models import Certificate, TierTransition
    from tests.factories.filings import make_filing

    firm = await make_firm(session)
    await make_filing(session, firm, 2023, revenue_yuan=5_000_000)
    await make_filing(session, firm, 2024, revenue_yuan=6_000_000)
    session.add(
        Certificate(
            firm_id=firm.id or 0,
            kind="hte",
            number="GR202312000001",
            issued_on=date(2023, 12, 8),
            expires_on=date(2026, 12, 7),
            source="manual",
        )
    )
    status = TierStatus(
        firm_id=firm.id or 0, tier="seedling", year=2024, state="admitted", admission_no="CY202400001"
    )
    session.add(status)
    await session.flush()
    session.add(TierTransition(tier_status_id=status.id or 0, to_state="candidate", actor_label="jinghai"))
    await session.flush()
    detail = (await client.get(f"/api/firms/{firm.uscc}", headers=city.headers)).json()
    assert detail["firm"]["name"] == firm.name
    assert [(f["fiscal_year"], f["revenue_yuan"]) for f in detail["filings"]] == [
        (2024, 6_000_000),
        (2023, 5_000_000),
    ]
    assert detail["certificates"][0]["kind_label"] == "国家高新技术企业"
    assert detail["certificates"][0]["expires_on"] == "2026-12-07"
    assert detail["tiers"][0]["tier_label"] == "雏鹰企业"
    assert detail["tiers"][0]["transitions"][0]["to_state"] == "candidate"


async def test_invalid_code_in_path_is_422(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.get("/api/firms/91120118MA06R1D13B", headers=city.headers)
    assert response.status_code == 422
    assert "校验码应为“A”" in response.json()["detail"]


async def test_unknown_valid_code_is_404_in_chinese(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.get(f"/api/firms/{new_uscc()}", headers=city.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "firm.not_found"
    assert "未找到统一社会信用代码为" in response.json()["detail"]
