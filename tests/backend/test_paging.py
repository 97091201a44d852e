"""The shared pager of the list pages: page count, links that keep the query, and its partial."""

from __future__ import annotations

from backend.web.paging import Pager, query_string
from backend.web.render import environment


def rendered(pager: Pager, noun: str) -> str:
    template = environment.from_string(
        '{% from "partials/_pager.html" import pager_nav %}{{ pager_nav(pager, noun) }}'
    )
    return template.render(pager=pager, noun=noun)


def test_the_query_string_leaves_out_empty_values_and_page_one() -> None:
    assert query_string({"q": "鸿雁", "bureau": "", "tier": None, "page": 1}) == "?q=%E9%B8%BF%E9%9B%81"
    assert query_string({"kind": None, "page": 1}) == ""
    assert query_string({"job": "inbox", "idle": "true", "page": 3}) == "?job=inbox&idle=true&page=3"


def test_links_keep_the_other_query_parameters() -> None:
    middle = Pager.at("/exports", {"kind": "disbursement"}, page=2, total=101, size=50)
    assert (middle.page, middle.pages, middle.total) == (2, 3, 101)
    assert middle.previous_url == "/exports?kind=disbursement"
    assert middle.next_url == "/exports?kind=disbursement&page=3"
    first = Pager.at("/imports", {}, page=1, total=21, size=20)
    assert (first.previous_url, first.next_url) == (None, "/imports?page=2")
    last = Pager.build(2, 21, 20, lambda n: f"/batches/7?page={n}")
    assert (last.previous_url, last.next_url) == ("/batches/7?page=1", None)


def test_an_empty_list_has_one_page() -> None:
    empty = Pager.at("/jobs", {}, page=1, total=0, size=50)
    assert (empty.pages, empty.previous_url, empty.next_url) == (1, None, None)


def test_the_partial_says_where_we_are_and_nothing_on_a_single_page() -> None:
    html = rendered(Pager.at("/firms", {"q": "<b>"}, page=2, total=1234, size=50), "家企业")
    assert '<nav class="pager" aria-label="翻页">' in html
    assert '<a href="/firms?q=%3Cb%3E" rel="prev">上一页</a>' in html
    assert "第 2 / 25 页，共 1,234 家企业" in html
    assert '<a href="/firms?q=%3Cb%3E&amp;page=3" rel="next">下一页</a>' in html
    assert rendered(Pager.at("/firms", {}, page=1, total=50, size=50), "家企业").strip() == ""
