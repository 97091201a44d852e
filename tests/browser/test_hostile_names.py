"""A firm whose name is markup or a formula is shown as text on the pages that show names."""

from __future__ import annotations

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import Site
from tests.browser.support import PASSWORDS, log_in
from tests.factories.firms import new_uscc

SCRIPT = "<script>alert('tidu')</script><img src=x onerror=alert(1)>科技有限公司"
FORMULA = '=HYPERLINK("http://evil.example","点击")科技有限公司'


def _register(site: Site, name: str) -> str:
    """Register a firm through the API as the city would (the pages only read it)."""
    uscc = new_uscc("120118")
    with httpx.Client(base_url=site.url) as api:
        token = api.post("/api/auth/login", json={"username": "city", "password": PASSWORDS["city"]}).json()
        created = api.post(
            "/api/firms",
            json={"uscc": uscc, "name": name, "bureau_code": "jinghai", "registered_on": "2021-03-01"},
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        assert created.status_code == 201, created.text
    return uscc


def test_markup_and_formula_names_are_plain_text(page: Page, site: Site) -> None:
    script_uscc = _register(site, SCRIPT)
    formula_uscc = _register(site, FORMULA)
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)

    page.on("dialog", record)
    log_in(page, site.url, "jinghai")
    for uscc, name in ((script_uscc, SCRIPT), (formula_uscc, FORMULA)):
        page.goto(f"{site.url}/firms/{uscc}")
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.goto(f"{site.url}/firms?q=科技有限公司")
    expect(page.get_by_text(SCRIPT, exact=True)).to_be_visible()
    expect(page.get_by_text(FORMULA, exact=True)).to_be_visible()
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []
