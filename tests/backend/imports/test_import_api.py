"""Filing imports through the API: preview, commit, re-import, scoping, refusals, the annotated workbook."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.main import create_app
from backend.models import AuditLog, Filing, Firm, ImportRun
from tests.factories.filings import make_filing
from tests.factories.firms import make_firm, new_uscc
from tests.factories.users import LoggedIn, make_user
from tests.importers import hostile as h
from tests.importers import workbooks as wb
from vocabulary.states import Role

HEADER = ["序号", "企业名称", "统一社会信用代码", "注册日期", "会计年度", "营业收入（万元）", "研发费用（万元）",
          "职工总数", "科技人员数"]  # fmt: skip


def workbook(*rows: list[Any], title: str = "2025年度静海区雏鹰企业申报汇总表") -> bytes:
    return wb.xlsx({"申报表": [[title], HEADER, *rows, ["合计"]]}, {"申报表": ["A1:I1"]})


def row(n: int, uscc: str, revenue: Any = 500, staff: Any = 5, name: str | None = None) -> list[Any]:
    return [n, name or f"天津导入测试{n}科技有限公司", uscc, "2020-05-01", 2024, revenue, "４０", 30, staff]


async def upload(
    client: httpx.AsyncClient, user: LoggedIn, content: bytes, *, dry_run: bool = True, **form: Any
) -> httpx.Response:
    data = {"dry_run": str(dry_run).lower(), **{k: str(v) for k, v in form.items()}}
    files = {"file": ("静海区雏鹰申报.xlsx", content, "application/octet-stream")}
    return await client.post("/api/imports", data=data, files=files, headers=user.headers)


async def firm_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Firm))).one()


async def bureau_user(session: AsyncSession, code: str = "jinghai") -> LoggedIn:
    return await make_user(session, Role.bureau, bureau_code=code)


async def test_preview_names_every_problem_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    before = await firm_count(session)
    good, bad = new_uscc(), new_uscc()
    response = await upload(client, user, workbook(row(1, good), row(2, bad, revenue="12a3")))
    assert response.status_code == 201, response.text
    body = response.json()
    run = body["run"]
    assert (run["status"], run["bureau_code"], run["sheet"], run["header_row"]) == (
        "dry_run",
        "jinghai",
        "申报表",
        2,
    )
    assert (
        run["counts"].items()
        >= {"rows_read": 2, "new_firms": 1, "new_revisions": 1, "errors": 1, "error_rows": 1}.items()
    )
    assert run["summary"].startswith("读取 2 行：将新增企业 1 家")
    assert body["issues"] == [
        {"severity": "error", "sheet": "申报表", "row": 4, "column": "F", "header": "营业收入（万元）",
         "value": "12a3", "message": "“12a3”不是数字", "field": "revenue_yuan"},
    ]  # fmt: skip
    assert await firm_count(session) == before


async def test_commit_writes_valid_rows_with_their_origin(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    good, bad = new_uscc(), new_uscc()
    preview = (await upload(client, user, workbook(row(1, good), row(2, bad, staff=31)))).json()["run"]
    committed = await client.post(f"/api/imports/{preview['id']}/commit", headers=user.headers)
    assert committed.status_code == 200, committed.text
    run = committed.json()["run"]
    assert run["status"] == "committed"
    assert run["counts"]["new_firms"] == 1
    assert run["summary"].startswith("读取 2 行：已新增企业 1 家")

    filing = (await client.get(f"/api/firms/{good}/filings/2024", headers=user.headers)).json()
    assert (filing["revenue_yuan"], filing["rd_expense_yuan"], filing["employees"]) == (
        5_000_000,
        400_000,
        30,
    )
    assert filing["provenance"].items() >= {"source": "import", "import_run_id": run["id"], "sheet": "申报表", "row": 3,
                                          "file_name": "静海区雏鹰申报.xlsx"}.items()  # fmt: skip
    rejected = await client.get(f"/api/firms/{bad}", headers=user.headers)
    assert rejected.status_code == 404  # its row had an error: the firm was not created either
    audit = (await session.exec(select(AuditLog).where(AuditLog.entity == "import_run"))).all()
    assert [a.action for a in audit] == ["import.preview", "import.commit"]


async def test_the_same_file_twice_changes_nothing_and_says_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    content = workbook(row(1, new_uscc()), row(2, new_uscc()))
    first = (await upload(client, user, content, dry_run=False)).json()["run"]
    revisions = await session.exec(select(func.count()).select_from(Filing))
    filings_before = revisions.one()
    again = await upload(client, user, content, dry_run=False)
    assert again.status_code == 201
    run = again.json()["run"]
    assert (run["status"], run["duplicate_of_id"]) == ("duplicate", first["id"])
    assert f"导入批次 #{first['id']}" in run["summary"]
    assert (await session.exec(select(func.count()).select_from(Filing))).one() == filings_before


async def test_a_changed_file_adds_revisions_only_where_figures_changed(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    a, b = new_uscc(), new_uscc()
    await upload(client, user, workbook(row(1, a), row(2, b)), dry_run=False)
    second = (await upload(client, user, workbook(row(1, a), row(2, b, revenue=650)), dry_run=False)).json()[
        "run"
    ]
    assert second["counts"].items() >= {"new_revisions": 1, "unchanged": 1, "new_firms": 0}.items()
    history = (await client.get(f"/api/firms/{b}/filings/2024/revisions", headers=user.headers)).json()
    assert [h["revision_no"] for h in history] == [1, 2]
    assert history[1]["changes"] == [{"field": "revenue_yuan", "before": 5_000_000, "after": 6_500_000}]


async def test_a_blank_cell_keeps_the_registered_figure(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    firm = await make_firm(session, "jinghai")
    await make_filing(session, firm, 2024, revenue_yuan=7_000_000, employees=40)
    await upload(client, user, workbook(row(1, firm.uscc, revenue=None, name=firm.name)), dry_run=False)
    filing = (await client.get(f"/api/firms/{firm.uscc}/filings/2024", headers=user.headers)).json()
    assert (filing["revenue_yuan"], filing["employees"], filing["rd_expense_yuan"]) == (
        7_000_000,
        30,
        400_000,
    )


async def test_a_bureau_imports_only_for_itself(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await bureau_user(session)
    other = await make_firm(session, "heping")
    refused = await upload(client, user, workbook(row(1, new_uscc())), bureau="heping")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "区科技局只能导入本审查单位的数据"

    mine = new_uscc()
    result = (await upload(client, user, workbook(row(1, other.uscc, name=other.name), row(2, mine)))).json()
    assert [(i["row"], i["column"], i["message"]) for i in result["issues"]] == [
        (
            3,
            "C",
            "该企业不在静海区科技局的审查范围内，本行未导入；企业如已迁入本辖区，请联系市科技局变更审查单位",
        )
    ]
    assert result["run"]["counts"]["new_firms"] == 1


async def test_figures_another_bureau_imported_are_a_conflict_not_an_overwrite(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session, "jinghai")
    jinghai, heping = await bureau_user(session, "jinghai"), await bureau_user(session, "heping")
    await upload(client, jinghai, workbook(row(1, firm.uscc, name=firm.name)), dry_run=False)
    admin = await make_user(session, Role.admin)
    moved = await client.patch(
        f"/api/firms/{firm.uscc}", json={"bureau_code": "heping"}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    result = (
        await upload(client, heping, workbook(row(1, firm.uscc, revenue=900, name=firm.name)), dry_run=False)
    ).json()
    conflict = [i for i in result["issues"] if i["severity"] == "error"]
    assert len(conflict) == 1
    assert conflict[0]["message"].startswith("与静海区科技局导入的 2024 年度数据不一致（营业收入）")
    filing = (await client.get(f"/api/firms/{firm.uscc}/filings/2024", headers=admin.headers)).json()
    assert filing["revenue_yuan"] == 5_000_000


async def test_a_refused_file_is_a_clear_error_and_records_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    runs = (await session.exec(select(func.count()).select_from(ImportRun))).one()
    response = await upload(client, user, wb.png_image())
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import.rejected"
    assert body["detail"] == "不是电子表格文件：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件"
    assert (await session.exec(select(func.count()).select_from(ImportRun))).one() == runs


BIG5_ROWS: list[list[wb.Value]] = [
    ["序號", "企業名稱", "統一社會信用代碼"],
    [1, "天津甲科技有限公司", wb.USCC_A],
]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: h.lying_xlsx(16),
            "工作簿内部文件 xl/worksheets/sheet1.xml 解压后超过文件中记录的大小（1 KB），疑似压缩炸弹",
        ),
        (
            lambda: h.many_sheets_xlsx(590),
            "工作簿含 590 个工作表，超过上限 50 个：请只保留要导入的工作表后重新导入",
        ),
        (
            lambda: wb.csv_file(BIG5_ROWS, "big5"),
            "无法识别文件编码：请另存为 UTF-8、GBK 或 UTF-16 编码的 CSV，或另存为 Excel 文件",
        ),
    ],
    ids=["zip-lying-about-its-size", "590-sheets", "big5-csv"],
)
async def test_hostile_files_are_refused_in_chinese_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, build: Any, message: str
) -> None:
    user = await bureau_user(session)
    runs = (await session.exec(select(func.count()).select_from(ImportRun))).one()
    firms = await firm_count(session)
    response = await upload(client, user, build(), dry_run=False)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "import.rejected"
    assert body["detail"].startswith(message)
    assert (await session.exec(select(func.count()).select_from(ImportRun))).one() == runs
    assert await firm_count(session) == firms


async def test_a_space_in_the_last_row_of_the_sheet_is_not_a_row(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    space = b'<row r="1048576"><c r="I1048576" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
    content = h.with_rows(workbook(row(1, new_uscc())), space)
    response = await upload(client, user, content, dry_run=False)
    assert response.status_code == 201, response.text
    run = response.json()["run"]
    assert (run["status"], run["counts"]["rows_read"], run["counts"]["new_firms"]) == ("committed", 1, 1)
    assert response.json()["issues"] == []


async def test_a_utf16_csv_without_byte_order_mark_is_imported(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    uscc = new_uscc()
    rows: list[list[Any]] = [HEADER, row(1, uscc)]
    response = await upload(client, user, wb.csv_file(rows, "utf-16-le"), dry_run=False)
    assert response.status_code == 201, response.text
    assert response.json()["run"]["counts"]["new_firms"] == 1
    assert (await client.get(f"/api/firms/{uscc}", headers=user.headers)).status_code == 200


async def test_an_upload_over_the_limit_is_refused_before_it_is_read(db: Any, database_url: str) -> None:
    from backend.core.db import get_session_factory

    app = create_app(Settings(database_url=database_url, max_upload_mb=1))

    async def factory() -> Any:
        return db

    app.dependency_overrides[get_session_factory] = factory
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidu.test") as client, db() as session:
        user = await bureau_user(session)
        response = await upload(client, user, b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["code"] == "upload.too_large"


async def test_the_annotated_workbook_marks_the_bad_cells(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await bureau_user(session)
    run = (await upload(client, user, workbook(row(1, new_uscc(), revenue="12a3")))).json()["run"]
    response = await client.get(f"/api/imports/{run['id']}/annotated.xlsx", headers=user.headers)
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["申报表", "错误清单"]
    cell = book["申报表"]["F3"]
    assert cell.value == "12a3"
    assert "“12a3”不是数字" in cell.comment.text
    listed = list(book["错误清单"].iter_rows(min_row=2, values_only=True))
    assert listed[0][:4] == ("错误", "申报表", 3, "F")


async def test_runs_are_scoped_to_their_bureau(client: httpx.AsyncClient, session: AsyncSession) -> None:
    jinghai, heping = await bureau_user(session, "jinghai"), await bureau_user(session, "heping")
    run = (await upload(client, jinghai, workbook(row(1, new_uscc())))).json()["run"]
    for path in ("", "/issues", "/annotated.xlsx"):
        assert (
            await client.get(f"/api/imports/{run['id']}{path}", headers=heping.headers)
        ).status_code == 404
    assert (await client.post(f"/api/imports/{run['id']}/commit", headers=heping.headers)).status_code == 404
    listed = (await client.get("/api/imports", headers=heping.headers)).json()
    assert run["id"] not in [r["id"] for r in listed["items"]]
    city = await make_user(session, Role.city)
    assert run["id"] in [
        r["id"] for r in (await client.get("/api/imports", headers=city.headers)).json()["items"]
    ]
    firm = await make_firm(session, "jinghai")
    enterprise = await make_user(session, Role.enterprise, firm=firm)
    assert (await upload(client, enterprise, workbook(row(1, new_uscc())))).status_code == 403
    assert (await client.get("/api/imports", headers=enterprise.headers)).status_code == 403


async def test_a_run_commits_once(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await bureau_user(session)
    run = (await upload(client, user, workbook(row(1, new_uscc())))).json()["run"]
    assert (await client.post(f"/api/imports/{run['id']}/commit", headers=user.headers)).status_code == 200
    again = await client.post(f"/api/imports/{run['id']}/commit", headers=user.headers)
    assert again.status_code == 409
    assert again.json()["detail"] == f"导入批次 #{run['id']} 已提交，不能重复提交"


async def test_city_staff_name_the_bureau(client: httpx.AsyncClient, session: AsyncSession) -> None:
    city = await make_user(session, Role.city)
    missing = await upload(client, city, workbook(row(1, new_uscc())))
    assert missing.status_code == 422
    assert missing.json()["detail"] == "请指定导入数据所属的审查单位"
    named = await upload(client, city, workbook(row(1, new_uscc())), bureau="jinghai", dry_run=False)
    assert named.json()["run"]["bureau_code"] == "jinghai"
    firms = (await session.exec(select(Firm).where(col(Firm.name).like("天津导入测试1科技%")))).all()
    assert {f.bureau_code for f in firms} == {"jinghai"}
    assert all(f.registered_on == date(2020, 5, 1) for f in firms)
