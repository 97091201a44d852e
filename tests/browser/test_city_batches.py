"""City staff take an admission batch through 区审查 and 市级审核 to 公示, then open the next batch."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from backend.core import clock
from tests.browser.conftest import Site
from tests.browser.support import log_in, screenshot


def _filter_by_state(page: Page, state: str) -> None:
    page.get_by_label("状态", exact=True).select_option(state)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(f"state={state}"))


def test_city_moves_a_batch_to_public_notice_and_opens_the_next(page: Page, site: Site) -> None:
    year = clock.today().year
    flash = page.get_by_role("status")
    log_in(page, site.url, "city")
    page.locator("a.task", has_text="入库批次").click()
    expect(page.get_by_role("heading", name="入库批次", exact=True)).to_be_visible()
    page.get_by_role("link", name=f"{year}年第1批", exact=True).click()
    expect(page.locator("h1")).to_contain_text("审核中")
    # Nothing is city-approved yet: the page explains why 公示 cannot start.
    expect(page.locator("#notice")).to_contain_text("须先有市级审核通过的企业才能开始公示")
    expect(page.locator("#notice").get_by_role("button", name="开始公示")).to_be_disabled()

    # 区审查 on behalf of bureaus other than 静海区 (whose own review is the bureau's test).
    _filter_by_state(page, "candidate")
    others = page.locator("table.members tbody tr").filter(has_not_text="静海区科技局")
    for n in range(3):
        others.nth(n).get_by_role("checkbox").check()
    page.get_by_role("button", name="区审查通过", exact=True).click()
    expect(flash).to_contain_text("区审查通过：3 家企业")

    # 市级审核 of every district-approved member, whoever reviewed it.
    _filter_by_state(page, "district_approved")
    page.get_by_label("当前筛选条件下的全部企业").check()
    page.get_by_role("button", name="市级审核通过", exact=True).click()
    expect(flash).to_contain_text("市级审核通过：")

    notice = page.locator("#notice")
    expect(notice).to_contain_text("家市级审核通过的企业将进入公示")
    notice.get_by_role("button", name="开始公示").click()
    expect(flash).to_contain_text("已开始公示")
    expect(page.locator("h1")).to_contain_text("公示中")
    expect(page.locator("#admit")).to_contain_text("起方可公告入库")
    screenshot(page, "batch")

    # The members still under review left the batch: the next batch takes them in.
    page.get_by_role("link", name="← 入库批次").click()
    expect(page.get_by_role("row", name=f"{year}年第1批")).to_contain_text("公示中")
    page.get_by_role("button", name="开启新批次").click()
    expect(flash).to_contain_text(f"已开启{year}年第")
    page.get_by_role("button", name="列入候选企业").click()
    expect(flash).to_contain_text("并入此前批次公示时尚未审完的企业")
    expect(page.locator("h1")).to_contain_text("审核中")
