"""Rule versions as pages: every param with its source and 暂定 marker, and a version's impact before adoption."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from tests.backend.dashboard.html import row_for, table_rows, text_of
from tests.backend.pages_support import browse_as
from tests.factories.evaluations import seedling_firm
from tests.factories.users import make_user
from vocabulary.states import Role

YEAR = clock.today().year


async def test_every_program_and_version_is_listed_with_the_one_in_force(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/rules")
    assert page.status_code == 200
    rows = [r for r in table_rows(page.text, "rulesets")[1:] if r[0].startswith("天津市雏鹰企业")]
    assert [(r[2], r[4]) for r in rows] == [("2019 版", "已失效"), ("2021 版", "现行")]
    assert rows[0][3] == "2019-05-30 起，至 2021-07-08"
    assert 'href="/rules/seedling/2021"' in page.text


async def test_a_version_shows_each_param_in_its_unit_with_its_source(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/rules/seedling/2021")
    assert page.status_code == 200
    html = page.text
    assert row_for(html, "params", "max_age_years")[1:3] == ["8 年", "已确认"]
    assert row_for(html, "params", "min_revenue_yuan")[1] == "10.00 万元"
    provisional = row_for(html, "params", "age_upper_inclusive")
    assert provisional[1:3] == ["是", "暂定"]
    assert "津科规〔2021〕3号" in provisional[3]
    assert "上一年营业收入不低于10万元" in text_of(html)  # the criteria, as the policy words them
    # Comparing versions is the city's: a bureau does not get the form.
    assert "比较影响" not in html


async def test_an_unknown_version_is_a_404_page(client: httpx.AsyncClient, session: AsyncSession) -> None:
    browse_as(client, await make_user(session, Role.city))
    page = await client.get("/rules/seedling/1999")
    assert page.status_code == 404
    assert "页面或数据不存在" in page.text


async def test_the_city_sees_who_a_version_change_would_move_and_why(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # 2 class-II IP: enough under the 2021 rules (2), not under the 2019 ones (5).
    firm = await seedling_firm(session)
    browse_as(client, await make_user(session, Role.city))
    detail = await client.get("/rules/seedling/2021")
    assert "比较影响" in detail.text
    assert '<option value="2019" selected>' in detail.text  # proposed: the version before this one

    page = await client.get(
        "/rules/diff",
        params={"program": "seedling", "old_version": "2019", "new_version": "2021", "year": YEAR},
    )
    assert page.status_code == 200
    html = page.text
    counts = text_of(html.split('id="diff-counts"')[1].split("</ul>")[0])
    assert "1 评价企业" in counts
    assert "1 新增符合" in counts
    assert "0 不再符合" in counts
    row = row_for(html, "diff-firms", f"{firm.name} {firm.uscc}")
    assert row[1] == "静海区科技局"
    assert row[2] == "不符合 → 符合"
    # Why: the criteria whose outcome differs, in the policy's words (原版本 → 新版本).
    assert row[3].startswith(
        "创新条件：满足以下任一项：未达标 → 达标 拥有有效期内I类知识产权1项以上或II类知识产权2项以上：未达标 → 达标"
    )
    assert "雏鹰企业评价条件" not in row[3]  # the outcome itself is not a reason
    # What changed in the rules themselves: thresholds in their units, 暂定 where no source settles them.
    assert row_for(html, "param-changes", "ip_class2_min")[1:] == ["5 项 已确认", "2 项 已确认"]
    assert row_for(html, "param-changes", "max_revenue_yuan")[1:] == ["1,000.00 万元 已确认", "（无）"]
    assert row_for(html, "param-changes", "jan1_adjust_years")[1] == "0.004 年 已确认"
    assert row_for(html, "param-changes", "contest_national_max_prize")[1:] == ["5 暂定", "5 已确认"]


async def test_comparing_versions_is_refused_to_a_bureau_and_needs_two_versions(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    params = {"program": "seedling", "old_version": "2019", "new_version": "2021", "year": str(YEAR)}
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    refused = await client.get("/rules/diff", params=params)
    assert refused.status_code == 403
    assert "只有市科技局和管理员可以比较规则版本" in refused.text
    browse_as(client, await make_user(session, Role.city))
    same = await client.get("/rules/diff", params=params | {"old_version": "2021"})
    assert same.status_code == 422
    assert "请选择两个不同的版本" in same.text
    unknown = await client.get("/rules/diff", params=params | {"program": "nope"})
    assert unknown.status_code == 404
