"""The firm search page: one box for a name or a credit code, scoped to what the viewer may see."""

from __future__ import annotations

import re

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Firm
from tests.backend.pages_support import browse_as
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import Role


def listed(html: str) -> list[str]:
    """The credit codes the results table links to, in order."""
    table = re.search(r'<table class="sortable" id="firm-results">.*?</table>', html, re.S)
    return re.findall(r'<a href="/firms/([0-9A-Z]{18})">', table.group(0)) if table else []


async def two_districts(session: AsyncSession) -> tuple[Firm, Firm, Firm]:
    """Two 静海区 firms and one 和平区 firm, all named 「翔鹭…」."""
    jinghai_a = await make_firm(session, "jinghai", name="天津翔鹭二号科技有限公司")
    jinghai_b = await make_firm(session, "jinghai", name="天津翔鹭一号科技有限公司")
    heping = await make_firm(session, "heping", name="天津翔鹭三号科技有限公司")
    return jinghai_a, jinghai_b, heping


async def test_a_bureau_finds_only_its_own_firms(client: httpx.AsyncClient, session: AsyncSession) -> None:
    jinghai_a, jinghai_b, heping = await two_districts(session)
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))

    page = await client.get("/firms", params={"q": "翔鹭"})
    assert page.status_code == 200
    assert sorted(listed(page.text)) == sorted([jinghai_a.uscc, jinghai_b.uscc])
    assert "找到 2 家企业" in page.text
    assert "天津翔鹭三号科技有限公司" not in page.text
    # Not even by its exact credit code, nor by naming its bureau in the address.
    by_code = await client.get("/firms", params={"q": heping.uscc})
    assert listed(by_code.text) == []
    assert "没有符合条件的企业" in by_code.text
    by_bureau = await client.get("/firms", params={"q": "翔鹭", "bureau": "heping"})
    assert sorted(listed(by_bureau.text)) == sorted([jinghai_a.uscc, jinghai_b.uscc])
    assert 'name="bureau"' not in page.text  # nothing to pick: a bureau sees its own district


async def test_any_part_of_a_credit_code_finds_the_firm(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    jinghai_a, _, _ = await two_districts(session)
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    middle = jinghai_a.uscc[6:14]
    full_width = jinghai_a.uscc[-6:].translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    for fragment in (jinghai_a.uscc, jinghai_a.uscc[:10], middle, full_width, f"  {middle.lower()} "):
        page = await client.get("/firms", params={"q": fragment})
        assert jinghai_a.uscc in listed(page.text), fragment


async def test_each_result_links_to_the_firms_status_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    jinghai_a, _, _ = await two_districts(session)
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/firms", params={"q": "翔鹭二号"})
    assert f'<a href="/firms/{jinghai_a.uscc}">天津翔鹭二号科技有限公司</a>' in page.text
    assert "静海区科技局" in page.text
    assert "2019-03-05" in page.text


async def test_city_staff_see_every_bureau_and_can_narrow_to_one(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    jinghai_a, jinghai_b, heping = await two_districts(session)
    browse_as(client, await make_user(session, Role.city))
    everything = await client.get("/firms", params={"q": "翔鹭"})
    assert sorted(listed(everything.text)) == sorted([jinghai_a.uscc, jinghai_b.uscc, heping.uscc])
    assert '<select id="firm-bureau" name="bureau">' in everything.text
    one = await client.get("/firms", params={"q": "翔鹭", "bureau": "heping"})
    assert listed(one.text) == [heping.uscc]
    assert 'value="heping" selected' in one.text


async def test_results_are_paged_and_the_query_is_kept(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    for n in range(51):
        await make_firm(session, "jinghai", name=f"天津鸿雁{n:02d}科技有限公司")
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    first = await client.get("/firms", params={"q": "鸿雁"})
    assert len(listed(first.text)) == 50
    assert "找到 51 家企业" in first.text
    assert 'href="/firms?q=%E9%B8%BF%E9%9B%81&amp;page=2"' in first.text
    second = await client.get("/firms", params={"q": "鸿雁", "page": 2})
    assert len(listed(second.text)) == 1
    assert "天津鸿雁50科技有限公司" in second.text


async def test_a_name_with_like_wildcards_is_taken_literally(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await two_districts(session)
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    for wildcard in ("%", "_", "翔%二"):
        page = await client.get("/firms", params={"q": wildcard})
        assert listed(page.text) == [], wildcard


async def test_an_unknown_tier_is_an_error_page(client: httpx.AsyncClient, session: AsyncSession) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/firms", params={"tier": "eagle"})
    assert page.status_code == 422
    assert 'class="error"' in page.text
