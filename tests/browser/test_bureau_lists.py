"""A district bureau downloads a list from 名单下载: a real workbook with its own firms only."""

from __future__ import annotations

from pathlib import Path

import openpyxl  # type: ignore[import-untyped, unused-ignore]
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site
from tests.browser.support import log_in


def test_a_bureau_downloads_a_list_of_its_own_firms(page: Page, site: Site, tmp_path: Path) -> None:
    log_in(page, site.url, "jinghai")
    page.get_by_role("link", name="名单下载").first.click()
    expect(page.get_by_role("heading", name="名单下载")).to_be_visible()
    # No choice of bureau: a bureau's lists are its own.
    expect(page.get_by_label("审查单位")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("审查单位：静海区科技局")

    form = page.locator("#form-eligibility")
    with page.expect_download() as download_info:
        form.get_by_role("button", name="下载评价结果").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    sheet = openpyxl.load_workbook(saved).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[2])
    firms = [r for r in rows[3:] if isinstance(r[0], int)]
    assert firms, "静海区 has firms with decisions in the demo year"
    assert {r[header.index("审查单位")] for r in firms} == {"静海区科技局"}
    assert all(r[header.index("统一社会信用代码")] for r in firms)
