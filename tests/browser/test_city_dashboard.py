"""The city reads its dashboard, looks at a rule version's impact, and runs the year's evaluation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from backend.core import clock
from tests.browser.conftest import Site
from tests.browser.support import log_in, screenshot

YEAR = clock.today().year


def test_city_reads_the_dashboard_charts_and_tables(page: Page, site: Site) -> None:
    log_in(page, site.url, "city")
    page.get_by_role("link", name="数据看板").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="各区梯度企业数")).to_be_visible()

    # Each chart is an image with a title, drawn with bars; the demo has firms in every tier chart.
    tiers = page.locator("#chart-tiers svg[role='img']")
    expect(tiers).to_be_visible()
    expect(tiers.locator("title").first).to_contain_text("各区在库梯度企业数")
    assert tiers.locator("rect.bar").count() >= 19 * 4
    drawn = [
        float(w) for w in tiers.locator("rect.bar").evaluate_all("rs => rs.map(r => r.getAttribute('width'))")
    ]
    assert max(drawn) > 0
    # The table under it lists the same figures per bureau.
    jinghai = page.locator("#tier-table tbody tr", has_text="静海区")
    expect(jinghai).to_have_count(1)
    total = page.locator("#tier-table tfoot th").nth(5)
    assert int(total.inner_text().replace(",", "")) > 0

    # District targets: a bar per bureau with the target marked, and the completion in the table.
    targets = page.locator("[id^='chart-target-'] svg[role='img']")
    assert targets.count() >= 1
    assert targets.first.locator("line.target").count() >= 1
    target_row = page.locator("#target-table tbody tr", has_text="静海区").first
    expect(target_row).to_contain_text("%")

    # Trends and award money, each a chart over a table.
    expect(page.locator("#chart-admissions svg rect.bar").first).to_be_attached()
    expect(page.locator("#admissions-table tbody tr").first).to_be_visible()
    expect(page.locator("#chart-awards svg rect.bar").first).to_be_attached()
    expect(page.locator("#award-table tbody tr").first).to_contain_text("万元")
    screenshot(page, "dashboard")

    # Another year from the selector.
    page.get_by_label("年度", exact=True).select_option(str(YEAR - 1))
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/dashboard\?year={YEAR - 1}$"))
    expect(page.get_by_role("heading", name=f"{YEAR - 1} 年度区目标完成情况")).to_be_visible()


def test_dashboard_fits_a_phone(phone: Page, site: Site) -> None:
    log_in(phone, site.url, "city", next_path="/dashboard")
    expect(phone.locator("#chart-tiers svg")).to_be_visible()
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_city_compares_rule_versions_before_adopting_one(page: Page, site: Site) -> None:
    log_in(page, site.url, "city")
    page.get_by_role("link", name="规则版本").first.click()
    seedling = page.locator("#rulesets tbody tr", has_text="天津市雏鹰企业")
    expect(seedling).to_have_count(2)
    expect(seedling.filter(has_text="2021 版")).to_contain_text("现行")
    seedling.get_by_role("link", name="2021 版").click()

    expect(page.get_by_role("heading", name=re.compile("天津市雏鹰企业"))).to_be_visible()
    params = page.locator("#params")
    expect(params.locator("tr", has_text="min_revenue_yuan")).to_contain_text("10.00 万元")
    expect(params.locator(".badge.provisional").first).to_have_text("暂定")

    expect(page.get_by_label("原版本", exact=True)).to_have_value("2019")
    expect(page.get_by_label("新版本", exact=True)).to_have_value("2021")
    page.get_by_role("button", name="比较影响").click()
    expect(page.get_by_role("heading", name="天津市雏鹰企业：2019 版 → 2021 版")).to_be_visible()
    counts = page.locator("#diff-counts")
    # Other tests in this worker may have registered firms: at least the demo's are evaluated.
    expect(counts).to_contain_text(re.compile(r"(30\d|3[1-9]\d)评价企业"))
    expect(counts).to_contain_text("新增符合")
    # The firms whose outcome would change, each with the criteria that make the difference.
    first = page.locator("#diff-firms tbody tr").first
    expect(first).to_contain_text("→")
    expect(first.locator("td").nth(3)).to_contain_text(re.compile("达标|资料不全|无此条件"))


def test_city_runs_the_years_evaluation(page: Page, site: Site) -> None:
    log_in(page, site.url, "city")
    page.get_by_role("link", name="年度评价").first.click()
    expect(page.get_by_label("评价年度")).to_have_value(str(YEAR))
    page.get_by_role("button", name="运行评价").click()
    flash = page.locator("p.flash")
    expect(flash.first).to_contain_text(re.compile(rf"{YEAR} 年度评价完成：(30\d|3[1-9]\d) 家企业"))
    expect(flash.nth(1)).to_contain_text(re.compile(r"天津市雏鹰企业 \d+ 家"))
    expect(page.locator("#run-programs tbody tr", has_text="天津市雏鹰企业")).to_have_count(1)
    expect(page.locator("#runs tbody tr").first).to_contain_text("city")
