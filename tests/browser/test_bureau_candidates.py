"""A district bureau reviews its candidates: approves one in its row, returns another, ticked, with a reason."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Site
from tests.browser.support import log_in


def _row(page: Page, firm_name: str) -> Locator:
    return page.locator("#candidates tbody tr").filter(
        has=page.get_by_role("link", name=firm_name, exact=True)
    )


def test_a_bureau_approves_one_candidate_and_returns_another_with_a_reason(page: Page, site: Site) -> None:
    log_in(page, site.url, "jinghai")
    page.locator("a.task", has_text="候选企业审核").click()
    expect(page).to_have_url(f"{site.url}/candidates")
    expect(page.get_by_role("heading", name="候选企业审核")).to_be_visible()
    expect(page.locator("p.lead")).to_contain_text("静海区科技局")

    # Only candidates still waiting for 区审查 offer the two buttons.
    waiting = page.locator("#candidates tbody tr").filter(has=page.get_by_role("button", name="退回"))
    expect(waiting.first).to_be_visible()
    assert waiting.count() >= 2
    approved = waiting.nth(0).get_by_role("link").inner_text()
    returned = waiting.nth(1).get_by_role("link").inner_text()

    _row(page, approved).get_by_role("button", name="通过", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"已通过区审查：{approved}")
    expect(_row(page, approved)).to_contain_text("区审查通过")
    expect(_row(page, approved).get_by_role("button")).to_have_count(0)

    # Returning a candidate needs a reason: without one the page says what is missing.
    _row(page, returned).get_by_role("button", name="退回").click()
    expect(page.get_by_role("alert")).to_contain_text("退回候选企业须填写理由")
    expect(_row(page, returned)).to_contain_text("候选")
    # Ticked in its row, returned by the form above the list (the checkbox belongs to that form).
    page.get_by_label(f"选择 {returned}", exact=True).check()
    bulk = page.locator("#bulk-review")
    bulk.get_by_label("理由（退回时必填）").fill("近三年研发费用与审计报告不符")
    bulk.get_by_role("button", name="退回").click()
    expect(page.get_by_role("status")).to_contain_text(
        "已退回（理由：近三年研发费用与审计报告不符）：1 家企业"
    )
    expect(page.get_by_role("status")).to_contain_text(returned)
    expect(_row(page, returned)).to_contain_text("未通过")
    expect(_row(page, approved)).to_contain_text("区审查通过")
