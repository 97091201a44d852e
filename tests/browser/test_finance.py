"""Finance takes one award program from 区级已审核 to 已拨付: approve, export the final 拨付清单,
check the workbook, register the payment, then find the export and its manifest in 导出记录.

The city does the district review first (finance may not). The flow works on one program the
other browser tests leave alone (the bureau and city flows act on admission candidates)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped, unused-ignore]
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.support import log_in, screenshot

PROGRAM = "hte_city_re"  # 天津市高新技术企业重新认定奖励: computed awards in the demo year
PROGRAM_TITLE = "天津市高新技术企业重新认定奖励"


def open_state(page: Page, label: str) -> int:
    """Click a state tab of the awards page; the number of awards it says it holds."""
    page.locator("#state-tabs a").filter(has_text=label).click()
    expect(page.locator("#state-tabs a[aria-current=page]")).to_contain_text(label)
    return int(page.locator("#state-tabs a[aria-current=page] b").inner_text())


def choose_program(page: Page) -> None:
    page.get_by_label("奖励项目").select_option(PROGRAM)
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_label("奖励项目")).to_have_value(PROGRAM)


def act_on_all_shown(page: Page, button: str) -> None:
    page.get_by_label(re.compile("本页全部")).check()
    page.get_by_role("button", name=button, exact=True).click()


def listed(page: Page) -> dict[str, int]:
    """Credit code → amount (元) of every award in the list."""
    rows = page.locator("#award-list tbody tr")
    found = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        uscc = row.locator("td").nth(2).locator(".muted").inner_text().strip()
        found[uscc] = int(row.locator("td").nth(5).get_attribute("data-sort") or "0")
    return found


def list_rows(path: Path) -> tuple[list[Any], list[tuple[Any, ...]], tuple[Any, ...]]:
    """The 拨付清单 sheet: header, numbered rows, and the 合计 row."""
    book = openpyxl.load_workbook(path)
    sheet = book["拨付清单"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[2])
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    total = next(r for r in rows if r[0] == "合计")
    return header, data, total


def test_finance_approves_exports_and_pays_awards(page: Page, site: Site, tmp_path: Path) -> None:
    # The city reviews the program's computed awards for the district.
    log_in(page, site.url, "city", next_path="/awards")
    choose_program(page)
    computed = open_state(page, "已计算")
    assert computed > 0, "the demo year has computed awards in this program"
    act_on_all_shown(page, "区级审核")
    expect(page.locator("p.flash")).to_contain_text(f"已完成区级审核 {computed} 项奖励")
    page.get_by_role("button", name="退出").click()

    # Finance finds 奖励资金 from its home page: the totals and the list.
    log_in(page, site.url, "finance")
    page.get_by_role("link", name=re.compile("奖励资金")).first.click()
    expect(page.get_by_role("heading", name="奖励资金", exact=True)).to_be_visible()
    expect(page.locator("#award-totals")).to_contain_text(PROGRAM_TITLE)
    expect(page.locator("#award-list tbody tr").first).to_be_visible()
    choose_program(page)
    reviewed = open_state(page, "区级已审核")
    assert reviewed >= computed
    act_on_all_shown(page, "审核通过")
    expect(page.locator("p.flash")).to_contain_text(f"已审核通过 {reviewed} 项奖励")

    approved_count = open_state(page, "已批准")
    approved = listed(page)
    assert len(approved) == approved_count >= reviewed
    screenshot(page, "awards")

    # The final 拨付清单 of this program: exactly the approved awards, and a total that adds up.
    export = page.locator("#export")
    expect(export.get_by_label("资助项目")).to_have_value(PROGRAM)
    export.get_by_label(re.compile("正式清单")).check()
    with page.expect_download() as download_info:
        export.get_by_role("button", name="导出拨付清单").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    header, rows, total = list_rows(saved)
    assert "企业名称" in header
    assert "统一社会信用代码" in header
    amount = header.index("金额（元）")
    in_file = {r[header.index("统一社会信用代码")]: r[amount] for r in rows}
    assert in_file == approved
    assert total[amount] == sum(r[amount] for r in rows) == sum(approved.values())

    # Now on the list, the awards are paid.
    assert open_state(page, "已列入拨付清单") >= len(approved)
    assert set(approved) <= set(listed(page))
    page.get_by_label("支付凭证号").fill("ZF-2026-0001")
    act_on_all_shown(page, "标记已拨付")
    expect(page.locator("p.flash")).to_contain_text("已登记拨付")
    open_state(page, "已拨付")
    assert set(approved) <= set(listed(page))
    expect(page.locator("#award-list")).to_contain_text("ZF-2026-0001")

    # 导出记录 has the export, with how it was made.
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="导出记录").click()
    run = page.locator("#export-runs tbody tr").filter(has_text=download.suggested_filename)
    expect(run).to_have_count(1)
    expect(run).to_contain_text("正式")
    expect(run).to_contain_text(str(len(rows)))
    run.get_by_role("link").first.click()
    manifest = page.locator("#manifest")
    expect(manifest).to_contain_text(PROGRAM_TITLE)
    expect(manifest).to_contain_text(download.suggested_filename)
    expect(manifest.locator("tr").filter(has_text="行数").first).to_contain_text(str(len(rows)))
    expect(manifest).to_contain_text(f"{total[amount]:,} 元")
    expect(page.get_by_role("heading", name="相对上一份同类清单的变化")).to_be_visible()
