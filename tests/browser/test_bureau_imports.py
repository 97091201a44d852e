"""A district bureau imports its messy 申报汇总表: preview, issues, annotated workbook, commit, search."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl  # type: ignore[import-untyped, unused-ignore]
from playwright.sync_api import FilePayload, Page, expect

from backend.demo.generator import gb11714_check
from importers.uscc import ALPHABET, check_char
from tests.browser.conftest import Site
from tests.browser.support import log_in, screenshot
from tests.importers import workbooks as wb

SHEET = "雏鹰企业申报"
TITLE = "2025年度静海区雏鹰企业申报汇总表"
FILE_NAME = "静海区雏鹰企业申报汇总表.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fresh_uscc(n: int) -> str:
    """A valid 静海区 credit code the demo registry never issues: its organisation code's own check
    character (position 17) is deliberately not the GB 11714 one every demo code carries."""
    body = f"MAQB{n:02d}TD"
    wrong = next(c for c in ALPHABET if c != gb11714_check(body))
    first17 = f"91120118{body}{wrong}"
    return first17 + check_char(first17)


FIRMS = {n: fresh_uscc(n) for n in range(1, 5)}
GOOD_NAME = "天津鹭翔智感科技有限公司"
BAD_NAME = "天津鹭翔云算科技有限公司"


def full_width(text: str) -> str:
    return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


def messy_workbook() -> bytes:
    """What the bureau sends: a merged title, a blank row, a two-level merged header (近三年营业收入
    over 2022 / 2023 / 2024年), 万元 units, full-width digits, a 合计 row and a note; row 6 has a
    revenue that is no number (H6) and row 7 more science staff than staff (K7)."""
    top = ["序号", "企业名称", "统一社会信用代码", "审查单位", "注册日期", "近三年营业收入（万元）", None, None,
           "研发费用（万元）", "职工总数", "科技人员数"]  # fmt: skip
    sub: list[wb.Value] = [None, None, None, None, None, 2022, "2023", "2024年", None, None, None]
    body: list[list[wb.Value]] = [
        [1, GOOD_NAME, full_width(FIRMS[1]), "静海区科技局", "2019-03-05", "1,234.5", "２，０００", "3,000.25",
         "１２０", "４５", "１２"],
        [2, BAD_NAME, FIRMS[2], "静海区", "2020/6/1", 100, 200, "3百", 20, 30, 5],
        [3, "天津鹭翔新材科技有限公司", FIRMS[3], "静海", "2021年7月8日", 50, 60, 70, 8, 10, 12],
        [4, "天津鹭翔精工科技有限公司", FIRMS[4], "静海区科技局", "2018.01.02", 10, 20, 30, "0.5", 6, 2],
    ]  # fmt: skip
    rows: list[wb.Row] = [[TITLE], [], top, sub, *body, ["合计", None, None, None, None, 1394.5, 2280, None],
                          [], ["注：金额单位为万元，数据来源于企业上一年度财务报表。"]]  # fmt: skip
    merges = ["A1:K1", "F3:H3", "A12:K12", *(f"{c}3:{c}4" for c in "ABCDEIJK")]
    return wb.xlsx({SHEET: rows}, {SHEET: merges})


def test_a_bureau_previews_fixes_and_imports_its_workbook(page: Page, site: Site, tmp_path: Path) -> None:
    log_in(page, site.url, "jinghai")
    page.locator("main").get_by_role("link", name="申报表导入").click()
    expect(page).to_have_url(f"{site.url}/imports")
    expect(page.get_by_role("heading", name="申报表导入", level=1)).to_be_visible()

    upload = FilePayload(name=FILE_NAME, mimeType=XLSX, buffer=messy_workbook())
    page.get_by_label("工作簿文件").set_input_files(files=upload)
    page.get_by_role("button", name="上传并预检").click()

    # The preview: nothing written yet, what would be, and every problem named by its cell.
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    run_url = page.url
    expect(page.locator("#run-status")).to_have_text("预览（未写入）")
    counts = page.locator("#run-counts")
    expect(counts.locator("li", has_text="读取行数")).to_have_text("4读取行数")
    expect(counts.locator("li", has_text="新增企业")).to_have_text("2新增企业")
    expect(counts.locator("li", has_text="有错误的行")).to_have_text("2有错误的行（不导入）")
    issues = page.locator("#import-issues")
    bad_revenue = issues.locator("tbody tr", has_text="3百")
    expect(bad_revenue).to_have_count(1)
    expect(bad_revenue.locator("td")).to_have_text([re.compile("错误"), SHEET, "6", "H", re.compile("2024"), "3百", re.compile(".+")])  # fmt: skip
    too_many = issues.locator("tbody tr", has_text="不能超过职工总数")
    expect(too_many.locator("td").nth(2)).to_have_text("7")
    expect(too_many.locator("td").nth(3)).to_have_text("K")
    screenshot(page, "import-preview")

    # The table sorts by a click on its header: errors first, then warnings first.
    severity = issues.locator("thead th").first
    first_badge = issues.locator("tbody tr").first.locator("td").first
    severity.get_by_role("button").click()
    expect(severity).to_have_attribute("aria-sort", "ascending")
    expect(first_badge).to_have_text("错误")
    severity.get_by_role("button").click()
    expect(severity).to_have_attribute("aria-sort", "descending")
    expect(first_badge).to_have_text("警告")
    row_header = issues.locator("thead th").nth(2)
    row_header.get_by_role("button").click()
    expect(row_header).to_have_attribute("aria-sort", "ascending")

    # The annotated workbook: the user's own file, the bad cell marked, the list of problems added.
    with page.expect_download() as info:
        page.get_by_role("link", name="下载标注文件").click()
    download = info.value
    assert download.suggested_filename.endswith("-错误标注.xlsx")
    saved = tmp_path / "annotated.xlsx"
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert "错误清单" in book.sheetnames
    cell = book[SHEET]["H6"]
    assert cell.value == "3百"
    assert cell.comment is not None
    assert "3百" in cell.comment.text
    assert book[SHEET]["A1"].value == TITLE

    page.get_by_role("button", name="确认导入").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(page.locator("#run-status")).to_have_text("已导入")
    expect(page.locator("p.flash")).to_contain_text("导入完成")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)

    # The run is listed on the import page.
    page.get_by_role("link", name="← 返回申报表导入").click()
    listed = page.locator("#import-runs tbody tr", has_text=FILE_NAME).first
    expect(listed).to_contain_text("已导入")
    listed.get_by_role("link", name=FILE_NAME).click()
    expect(page).to_have_url(run_url)

    # Find an imported firm by a piece of its credit code and open its status page.
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="企业查询").click()
    expect(page).to_have_url(f"{site.url}/firms")
    page.get_by_label("企业名称或统一社会信用代码").fill(FIRMS[1][8:14])
    page.get_by_role("button", name="查询").click()
    results = page.locator("#firm-results")
    expect(results.locator("tbody tr")).to_have_count(1)
    results.get_by_role("link", name=GOOD_NAME).click()
    expect(page).to_have_url(f"{site.url}/firms/{FIRMS[1]}")
    expect(page.get_by_role("heading", name=GOOD_NAME, level=1)).to_be_visible()

    # The row with an error was not imported.
    page.goto(f"{site.url}/firms?q={BAD_NAME}")
    expect(page.locator("#firm-count")).to_contain_text("找到 0 家企业")


def test_the_import_page_fits_a_phone(phone: Page, site: Site) -> None:
    log_in(phone, site.url, "jinghai", next_path="/imports")
    expect(phone.get_by_role("button", name="上传并预检")).to_be_visible()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
