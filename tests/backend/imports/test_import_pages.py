"""The import pages as a logged-in browser uses them: upload, preview, download, commit, scoping."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Firm, ImportRun
from tests.backend.imports.test_import_api import row, workbook
from tests.backend.pages_support import browse_as, form_token
from tests.factories.firms import new_uscc
from tests.factories.users import LoggedIn, make_user
from tests.importers import workbooks as wb
from vocabulary.states import Role

FILE_NAME = "静海区雏鹰申报.xlsx"


async def upload_page(
    client: httpx.AsyncClient, token: str | None, content: bytes, name: str = FILE_NAME, **form: Any
) -> httpx.Response:
    data = {k: str(v) for k, v in form.items()}
    if token is not None:
        data["csrf_token"] = token
    files = {"file": (name, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    return await client.post("/imports", data=data, files=files)


def run_id_of(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/imports/(\d+)", response.headers["location"])
    assert found is not None, response.headers["location"]
    return int(found.group(1))


async def jinghai(session: AsyncSession, client: httpx.AsyncClient) -> tuple[LoggedIn, str]:
    user = await make_user(session, Role.bureau, bureau_code="jinghai")
    return user, browse_as(client, user)


async def test_an_upload_is_a_dry_run_whose_preview_names_the_bad_cells(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    good, bad = new_uscc(), new_uscc()
    run_id = run_id_of(await upload_page(client, token, workbook(row(1, good), row(2, bad, revenue="12a3"))))

    page = await client.get(f"/imports/{run_id}")
    assert page.status_code == 200
    html = page.text
    assert "预览（未写入）" in html
    assert "读取 2 行：将新增企业 1 家" in html
    assert re.search(r"<li><b>1</b>新增企业</li>", html)
    assert re.search(r'<li class="fail"><b>1</b>有错误的行（不导入）</li>', html)
    # The issue names its sheet, row, column, the raw value and what is wrong with it.
    issue = re.search(r'<table class="sortable" id="import-issues">.*?</table>', html, re.S)
    assert issue is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", issue.group(0), re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == [
        "错误", "申报表", "4", "F", "营业收入（万元）", "12a3", "“12a3”不是数字",
    ]  # fmt: skip
    assert f'href="/imports/{run_id}/annotated.xlsx"' in html
    assert "确认导入" in html
    # Nothing was written by the preview.
    assert (await session.exec(select(Firm).where(Firm.uscc == good))).first() is None


async def test_committing_from_the_preview_imports_and_says_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    good = new_uscc()
    run_id = run_id_of(await upload_page(client, token, workbook(row(1, good))))
    preview = await client.get(f"/imports/{run_id}")

    committed = await client.post(f"/imports/{run_id}/commit", data={"csrf_token": form_token(preview.text)})
    assert committed.status_code == 303
    assert committed.headers["location"] == f"/imports/{run_id}"
    page = await client.get(committed.headers["location"])
    assert 'class="flash"' in page.text
    assert "导入完成" in page.text
    assert ">已导入</span>" in page.text
    assert "读取 1 行：已新增企业 1 家" in page.text
    assert "确认导入" not in page.text  # committed once, no button to do it again
    assert (await session.exec(select(Firm).where(Firm.uscc == good))).one().bureau_code == "jinghai"


async def test_the_same_file_again_says_nothing_changed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    content = workbook(row(1, new_uscc()))
    first = run_id_of(await upload_page(client, token, content))
    await client.post(f"/imports/{first}/commit", data={"csrf_token": token})

    again = run_id_of(await upload_page(client, token, content, name="再次上传.xlsx"))
    page = await client.get(f"/imports/{again}")
    assert "重复文件（未写入）" in page.text
    assert f"该文件与导入批次 #{first} 已提交的文件完全相同，未做任何更改" in page.text
    assert f'href="/imports/{first}"' in page.text
    assert "确认导入" not in page.text


async def test_a_second_preview_of_a_committed_file_cannot_be_committed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    content = workbook(row(1, new_uscc()))
    first = run_id_of(await upload_page(client, token, content))
    second = run_id_of(await upload_page(client, token, content))
    await client.post(f"/imports/{first}/commit", data={"csrf_token": token})

    refused = await client.post(f"/imports/{second}/commit", data={"csrf_token": token})
    assert refused.status_code == 409
    assert f"同一文件已由导入批次 #{first} 提交" in refused.text
    assert "预览（未写入）" in refused.text  # the run's own page, with the reason on it


async def test_the_annotated_workbook_downloads_with_the_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    run_id = run_id_of(await upload_page(client, token, workbook(row(1, new_uscc(), revenue="12a3"))))
    response = await client.get(f"/imports/{run_id}/annotated.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["申报表", "错误清单"]
    assert "“12a3”不是数字" in book["申报表"]["F3"].comment.text


async def test_a_bureau_cannot_open_another_bureaus_run(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    run_id = run_id_of(await upload_page(client, token, workbook(row(1, new_uscc())), name="静海机密.xlsx"))

    heping = await make_user(session, Role.bureau, bureau_code="heping")
    heping_token = browse_as(client, heping)
    for path in (f"/imports/{run_id}", f"/imports/{run_id}/annotated.xlsx"):
        page = await client.get(path)
        assert page.status_code == 404
        assert 'class="error"' in page.text
        assert "静海机密" not in page.text
    commit = await client.post(f"/imports/{run_id}/commit", data={"csrf_token": heping_token})
    assert commit.status_code == 404
    run = await session.get(ImportRun, run_id)
    assert run is not None
    assert run.status == "dry_run"


async def test_commit_without_the_form_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    run_id = run_id_of(await upload_page(client, token, workbook(row(1, new_uscc()))))

    for data in ({}, {"csrf_token": "0" * 64}):
        refused = await client.post(f"/imports/{run_id}/commit", data=data)
        assert refused.status_code == 403
        assert "页面已过期" in refused.text
    run = await session.get(ImportRun, run_id)
    assert run is not None
    assert run.status == "dry_run"
    # An upload without the token stores nothing either.
    before = (await client.get("/imports")).text.count("/annotated.xlsx")
    assert (await upload_page(client, None, workbook(row(1, new_uscc())))).status_code == 403
    assert (await client.get("/imports")).text.count("/annotated.xlsx") == before


async def test_the_upload_page_lists_only_the_viewers_runs(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    heping = await make_user(session, Role.bureau, bureau_code="heping")
    run_id_of(await upload_page(client, browse_as(client, heping), workbook(row(1, new_uscc("120101"))), name="和平区申报.xlsx"))  # fmt: skip
    _, token = await jinghai(session, client)
    run_id_of(await upload_page(client, token, workbook(row(1, new_uscc())), name="静海区申报.xlsx"))

    page = await client.get("/imports")
    assert page.status_code == 200
    assert "静海区申报.xlsx" in page.text
    assert "和平区申报.xlsx" not in page.text
    # A bureau imports for itself: no bureau to pick, its own named instead.
    assert 'name="bureau"' not in page.text
    assert "审查单位：静海区科技局" in page.text
    assert 'name="csrf_token"' in page.text
    assert 'enctype="multipart/form-data"' in page.text

    city = await make_user(session, Role.city)
    browse_as(client, city)
    everything = await client.get("/imports")
    assert "静海区申报.xlsx" in everything.text
    assert "和平区申报.xlsx" in everything.text
    assert '<select id="import-bureau" name="bureau">' in everything.text


async def test_a_refused_file_shows_the_form_again_with_the_reason(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    _, token = await jinghai(session, client)
    refused = await upload_page(client, token, wb.png_image(), name="照片.png")
    assert refused.status_code == 422
    assert "不是电子表格文件：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件" in refused.text
    assert 'action="/imports"' in refused.text  # the form, to try again

    city = await make_user(session, Role.city)
    city_token = browse_as(client, city)
    unnamed = await upload_page(
        client, city_token, workbook(row(1, new_uscc())), kind="filings", fiscal_year=""
    )
    assert unnamed.status_code == 422
    assert "请指定导入数据所属的审查单位" in unnamed.text


async def test_many_issues_are_paged(client: httpx.AsyncClient, session: AsyncSession) -> None:
    _, token = await jinghai(session, client)
    rows = [row(n, new_uscc(), revenue="12a3") for n in range(1, 106)]
    run_id = run_id_of(await upload_page(client, token, workbook(*rows)))

    first = await client.get(f"/imports/{run_id}")
    assert "问题清单（共 105 条）" in first.text
    assert "本页显示第 1–100 条" in first.text
    assert first.text.count("“12a3”不是数字") == 100
    assert f'href="/imports/{run_id}?page=2"' in first.text
    second = await client.get(f"/imports/{run_id}?page=2")
    assert second.text.count("“12a3”不是数字") == 5
    assert "没有可以导入的行" in second.text  # every row has an error: nothing to commit
    assert "确认导入" not in second.text


async def test_other_roles_have_no_import_page(client: httpx.AsyncClient, session: AsyncSession) -> None:
    finance = await make_user(session, Role.finance)
    browse_as(client, finance)
    page = await client.get("/imports")
    assert page.status_code == 403
    assert "无权查看导入记录" in page.text


async def test_pages_need_a_login(client: httpx.AsyncClient) -> None:
    answer = await client.get("/imports/1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/imports/1"


async def test_no_file_chosen_asks_for_one(client: httpx.AsyncClient, session: AsyncSession) -> None:
    _, token = await jinghai(session, client)
    for name in ("", "空表.xlsx"):
        answer = await upload_page(client, token, b"", name=name)
        assert answer.status_code == 422
        assert "请选择要上传的工作簿文件" in answer.text
        assert 'action="/imports"' in answer.text
