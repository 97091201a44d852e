"""The API docs work without the internet, and the pages work under their strict CSP.

(Every browser test's page fails on a Content-Security-Policy violation: see conftest.py.)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Site
from tests.browser.support import log_in


def test_api_docs_render_from_tidu_alone(page: Page, site: Site) -> None:
    """As on an intranet with no internet: every request to another host fails."""
    ours = urlsplit(site.url).netloc
    elsewhere: list[str] = []

    def only_tidu(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_tidu)
    page.goto(f"{site.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("tidu")
    expect(page.get_by_text("/api/firms/{uscc}", exact=True).first).to_be_visible()
    assert elsewhere == []


def test_error_page_back_link_returns_to_the_previous_page(page: Page, site: Site) -> None:
    log_in(page, site.url, "city", next_path="/firms")
    page.goto(f"{site.url}/firms/000000000000000000")  # not a credit code: the error page
    expect(page.get_by_role("heading", level=1)).to_have_text("输入有误")
    page.get_by_role("link", name="返回上一页").click()
    expect(page).to_have_url(f"{site.url}/firms")
