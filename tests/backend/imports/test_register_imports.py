"""The linked registers through the API: the city imports them, they upsert by key, filings are checked against them."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import BusinessRecord, IpRecord
from tests.factories.firms import make_firm
from tests.factories.users import LoggedIn, make_user
from tests.importers import workbooks as wb
from vocabulary.states import Role


async def upload(
    client: httpx.AsyncClient,
    user: LoggedIn,
    content: bytes,
    kind: str,
    *,
    dry_run: bool = False,
    **form: Any,
) -> httpx.Response:
    data = {"kind": kind, "dry_run": str(dry_run).lower(), **{k: str(v) for k, v in form.items()}}
    return await client.post(
        "/api/imports", data=data, files={"file": ("register.xlsx", content)}, headers=user.headers
    )


async def test_the_city_imports_the_business_register(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    response = await upload(client, city, wb.messy_registration_xlsx(), "registration")
    assert response.status_code == 201, response.text
    run = response.json()["run"]
    assert (run["kind"], run["status"], run["bureau_code"]) == ("registration", "committed", None)
    assert run["counts"]["records"] == 8
    assert run["summary"].startswith("读取 8 行：已写入 8 条记录")
    records = {r.uscc: r for r in (await session.exec(select(BusinessRecord))).all()}
    assert records[wb.USCC_B].abnormal_operation is True
    assert records[wb.USCC_C].serious_violation is True
    assert records[wb.USCC_A].registered_on == date(2019, 3, 5)
    assert records[wb.USCC_A].import_run_id == run["id"]


async def test_a_later_register_export_updates_by_key_and_blank_cells_keep_values(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    await upload(client, city, wb.messy_registration_xlsx(), "registration")
    header = ["统一社会信用代码", "企业名称", "登记状态", "是否列入经营异常名录"]
    later = wb.xlsx_rows(
        [header, [wb.USCC_B, "天津雏鹰乙科技有限公司", "存续", "否"], [wb.USCC_A, None, None, None]]
    )
    second = (await upload(client, city, later, "registration")).json()["run"]
    session.expire_all()
    b = (await session.exec(select(BusinessRecord).where(BusinessRecord.uscc == wb.USCC_B))).one()
    a = (await session.exec(select(BusinessRecord).where(BusinessRecord.uscc == wb.USCC_A))).one()
    assert (b.abnormal_operation, b.status, b.import_run_id) == (False, "存续", second["id"])
    assert b.registered_on == date(2019, 3, 5)  # not in the later export: kept
    assert (a.name, a.registered_on) == ("天津雏鹰甲科技有限公司", date(2019, 3, 5))


async def test_the_ip_register_is_imported_with_classes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    run = (await upload(client, city, wb.messy_ip_xlsx(), "ip")).json()["run"]
    assert run["status"] == "committed"
    records = {r.number: r for r in (await session.exec(select(IpRecord))).all()}
    assert records["ZL201910123456.7"].ip_class == 1
    assert records["ZL201910123456.7"].owner_uscc == wb.USCC_A
    assert records["2021SR0123456"].ip_class == 2
    trademarks = [r for r in records.values() if r.ip_type == "商标"]
    assert [t.ip_class for t in trademarks] == [None]


async def test_bureaus_do_not_import_the_city_registers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    response = await upload(client, bureau, wb.messy_registration_xlsx(), "registration")
    assert response.status_code == 403
    assert response.json()["detail"] == "企业登记信息只能由市科技局或管理员导入"


async def test_a_preview_of_a_register_writes_no_record(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    run = (await upload(client, city, wb.messy_ip_xlsx(), "ip", dry_run=True)).json()["run"]
    assert run["status"] == "dry_run"
    assert not (await session.exec(select(IpRecord))).all()
    committed = await client.post(f"/api/imports/{run['id']}/commit", headers=city.headers)
    assert committed.json()["run"]["status"] == "committed"
    assert len((await session.exec(select(IpRecord))).all()) == run["counts"]["records"]


async def test_filings_are_cross_checked_against_the_registers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    firm = await make_firm(session, "jinghai", uscc=wb.USCC_A, name="天津雏鹰甲科技有限公司")
    await upload(client, city, wb.messy_registration_xlsx(), "registration")
    await upload(client, city, wb.messy_ip_xlsx(), "ip")
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    header = [
        "统一社会信用代码",
        "企业名称",
        "注册日期",
        "会计年度",
        "I类知识产权数(有效)",
        "II类知识产权数(有效)",
    ]
    filing = wb.xlsx_rows([header, [firm.uscc, firm.name, "2019-03-06", 2024, 3, 1]])
    response = await client.post(
        "/api/imports",
        data={"dry_run": "true"},
        files={"file": ("申报.xlsx", filing)},
        headers=bureau.headers,
    )
    warnings = {(i["column"], i["message"]) for i in response.json()["issues"]}
    assert ("E", "申报有效I类知识产权 3 项，知识产权库中 2024 年末有效 1 项") in warnings
    assert ("C", "与企业登记信息库的成立日期（2019-03-05）不一致") in warnings
    ids = (await session.exec(select(IpRecord.number).where(col(IpRecord.owner_uscc) == firm.uscc))).all()
    assert len(ids) == 2
