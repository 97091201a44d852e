"""Export pages: downloads from forms, the history, one export's manifest and diff, and 名单下载."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.backend.awards.support import decide, sql
from tests.backend.lists.helpers import PROGRAM, YEAR, make_award
from tests.backend.pages_support import browse_as
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import AwardState, Role


def data_rows(content: bytes) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """The list sheet's header and its numbered rows (subtotals and the total left out)."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[2]), [r for r in rows[3:] if isinstance(r[0], int)]


async def test_the_bureaus_lists_page_offers_only_its_own_bureau(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    answer = await client.get("/lists")
    assert answer.status_code == 200
    page = answer.text
    assert "审查单位：<strong>静海区科技局</strong>" in page
    assert 'name="bureau"' not in page
    assert "和平区科技局" not in page
    for title in ("入库名单", "公示名单", "到期与年报提醒", "评价结果", "区县目标进度"):
        assert f">{title}</h2>" in page
    assert "下载到期与年报提醒" in page
    assert "下载评价结果" in page


async def test_the_city_chooses_a_bureau_and_an_enterprise_has_no_lists(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.city))
    page = (await client.get("/lists")).text
    assert 'name="bureau"' in page
    assert "和平区科技局" in page
    assert "静海区科技局" in page
    firm = await make_firm(session)
    browse_as(client, await make_user(session, Role.enterprise, firm=firm))
    refused = await client.get("/lists")
    assert refused.status_code == 403
    assert "当前角色不能导出清单" in refused.text


async def test_a_bureau_downloads_its_own_firms_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    ours = await make_firm(session, "jinghai", name="天津静海名单科技有限公司")
    theirs = await make_firm(session, "heping", name="天津和平名单科技有限公司")
    for firm in (ours, theirs):
        await decide(session, firm, "hte_city_first", YEAR)
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    answer = await client.post("/exports/eligibility", data={"csrf_token": token, "year": str(YEAR)})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment;")
    header, rows = data_rows(answer.content)
    names = [r[header.index("企业名称")] for r in rows]
    assert "天津静海名单科技有限公司" in names
    assert "天津和平名单科技有限公司" not in names
    assert {r[header.index("审查单位")] for r in rows} == {"静海区科技局"}


async def test_a_list_form_without_its_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    answer = await client.post("/exports/eligibility", data={"year": str(YEAR)})
    assert answer.status_code == 403
    assert "页面已过期" in answer.text


async def test_a_bad_form_value_shows_the_error_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = browse_as(client, await make_user(session, Role.finance))
    answer = await client.post("/exports/disbursement", data={"csrf_token": token, "year": "明年"})
    assert answer.status_code == 422
    assert "年度应为 1980 到 2100 之间的整数" in answer.text
    no_year = await client.post("/exports/disbursement", data={"csrf_token": token})
    assert no_year.status_code == 422
    assert "导出拨付清单须指定年度" in no_year.text


async def test_a_final_disbursement_list_is_downloaded_and_recorded_with_its_manifest_and_diff(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await make_award(
        session, await make_firm(session, "jinghai", name="天津首批拨付科技有限公司"), 300_000
    )
    token = browse_as(client, await make_user(session, Role.finance))
    form = {"csrf_token": token, "year": str(YEAR), "program": PROGRAM, "final": "1", "format": "xlsx"}
    answer = await client.post("/exports/disbursement", data=form)
    assert answer.status_code == 200, answer.text
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    header, rows = data_rows(answer.content)
    assert [r[header.index("企业名称")] for r in rows] == ["天津首批拨付科技有限公司"]
    state = await sql(session, "SELECT state FROM award WHERE id = :id", {"id": first.id})
    assert state.scalar_one() == AwardState.exported
    run_id = int(answer.headers["x-export-run-id"])

    history = await client.get("/exports")
    assert history.status_code == 200
    assert f'href="/exports/{run_id}"' in history.text
    assert "拨付清单" in history.text
    assert "30.00 万元" in history.text

    detail = (await client.get(f"/exports/{run_id}")).text
    assert "清单说明" in detail
    assert answer.headers["x-rows-sha256"] in detail
    assert answer.headers["x-file-sha256"] in detail
    assert "首份同类清单" in detail

    # A second list under the same filters is compared with the first.
    await make_award(session, await make_firm(session, "jinghai", name="天津次批拨付科技有限公司"), 200_000)
    second = await client.post("/exports/disbursement", data=form)
    second_id = int(second.headers["x-export-run-id"])
    diff = (await client.get(f"/exports/{second_id}")).text
    assert f'href="/exports/{run_id}"' in diff
    assert "天津次批拨付科技有限公司" in diff
    assert "新审批通过" in diff
    assert "天津首批拨付科技有限公司" in diff  # removed: it is on the first, final list now
    manifest = await client.get(f"/exports/{second_id}/manifest.json")
    assert manifest.headers["content-disposition"].startswith("attachment;")
    assert manifest.json()["export_run_id"] == second_id


async def test_finance_sees_only_disbursement_exports(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await decide(session, await make_firm(session, "jinghai"), "hte_city_first", YEAR)
    token = browse_as(client, await make_user(session, Role.city))
    answer = await client.post("/exports/eligibility", data={"csrf_token": token, "year": str(YEAR)})
    run_id = int(answer.headers["x-export-run-id"])
    browse_as(client, await make_user(session, Role.finance))
    history = await client.get("/exports")
    assert not re.search(rf'href="/exports/{run_id}"', history.text)
    assert (await client.get(f"/exports/{run_id}")).status_code == 404


async def test_the_awards_page_offers_the_disbursement_export(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_award(session, await make_firm(session, "jinghai"), 100_000, state=AwardState.approved)
    browse_as(client, await make_user(session, Role.finance))
    page = (await client.get("/awards", params={"year": YEAR, "program": PROGRAM})).text
    assert 'action="/exports/disbursement"' in page
    assert f'<option value="{PROGRAM}" selected>' in page


async def test_the_api_and_the_form_send_the_same_kind_of_download(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await make_award(session, await make_firm(session, "jinghai"), 100_000)
    finance = await make_user(session, Role.finance)
    api = await client.post(
        "/api/exports/disbursement", params={"year": YEAR, "format": "csv"}, headers=finance.headers
    )
    token = browse_as(client, finance)
    form = await client.post(
        "/exports/disbursement", data={"csrf_token": token, "year": str(YEAR), "format": "csv"}
    )
    for answer in (api, form):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["content-disposition"].startswith('attachment; filename="')
        assert len(answer.headers["x-rows-sha256"]) == 64
    assert api.headers["x-rows-sha256"] == form.headers["x-rows-sha256"]  # the same rows, twice
