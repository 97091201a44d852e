"""An enterprise logs in, finds its status from the home page, reads it and runs a what-if."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.support import log_in, screenshot


def test_enterprise_reads_its_status_and_runs_a_what_if(page: Page, site: Site) -> None:
    log_in(page, site.url, "enterprise")
    page.get_by_role("link", name="本企业梯度状态").first.click()
    expect(page).to_have_url(f"{site.url}/firms/{site.showcase_uscc}")

    expect(page.get_by_role("heading", name="梯度阶梯")).to_be_visible()
    ladder = page.locator("ol.ladder li")
    expect(ladder).to_have_count(4)
    expect(ladder.first).to_contain_text("雏鹰企业")
    # Every criterion shows its outcome and the policy article it comes from.
    if not page.locator("#program-seedling").evaluate("details => details.open"):
        page.locator("#program-seedling summary").click()
    seedling = page.locator("#program-seedling table.criteria")
    expect(seedling.locator("tbody tr").first).to_be_visible()
    expect(seedling).to_contain_text(re.compile("达标|未达标|资料不全"))
    expect(seedling.locator("td.muted").first).not_to_be_empty()
    screenshot(page, "status")

    page.get_by_label("营业收入（万元）").fill("99999")
    page.get_by_label("研发费用（万元）").fill("9999")
    page.get_by_role("button", name="试算").click()
    result = page.locator("#what-if-result")
    expect(result).to_be_visible()
    expect(result.locator("tbody tr").first).to_contain_text(re.compile("符合|不符合|资料不全"))
    # What the user typed stays in the form beside the result.
    expect(page.get_by_label("营业收入（万元）")).to_have_value("99999")


def test_status_page_fits_a_phone(phone: Page, site: Site) -> None:
    log_in(phone, site.url, "enterprise", next_path="/firm")
    expect(phone.get_by_role("heading", name="梯度阶梯")).to_be_visible()
    # Nothing but the tables' own scroll areas may be wider than the screen.
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_an_enterprise_cannot_open_another_firms_status(page: Page, site: Site) -> None:
    log_in(page, site.url, "enterprise")
    other = "91120000000000000X"
    response = page.goto(f"{site.url}/firms/{other}")
    assert response is not None
    assert response.status in (403, 404, 422)
    expect(page.locator("section.error h1")).to_be_visible()


def test_pages_need_a_login(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/firm")
    expect(page).to_have_url(re.compile(r"/login\?next=/firm$"))
    expect(page.get_by_role("heading", name="登录 tidu")).to_be_visible()
