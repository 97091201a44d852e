"""The city's dashboard and evaluation pages: who may open them, and numbers that match the registry."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.models import Award, AwardBudget, DistrictTarget, Firm, TierStatus
from tests.backend.dashboard.html import flashes, row_for, table_rows
from tests.backend.pages_support import browse_as
from tests.factories.evaluations import seedling_firm
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import Role

YEAR = clock.today().year
JINGHAI = "静海区"


async def _admitted(session: AsyncSession, firm: Firm, tier: str, year: int = YEAR) -> None:
    assert firm.id is not None
    day = min(clock.today(), date(year, 6, 1))
    session.add(TierStatus(firm_id=firm.id, tier=tier, year=year, state="admitted", valid_from=day))
    await session.flush()


async def _audit_runs(session: AsyncSession) -> int:
    await session.flush()
    connection = await session.connection()
    result = await connection.execute(text("SELECT count(*) FROM audit_log WHERE action = 'evaluation.run'"))
    return int(result.scalar_one())


async def test_the_dashboard_counts_what_the_registry_holds_against_the_district_target(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    gazelles = [await make_firm(session, "jinghai") for _ in range(2)]
    for firm in gazelles:
        await _admitted(session, firm, "gazelle")
    await _admitted(session, await make_firm(session, "jinghai"), "seedling", YEAR - 1)
    await _admitted(session, await make_firm(session, "heping"), "seedling")
    session.add(DistrictTarget(bureau_code="jinghai", year=YEAR, metric="gazelle_new", kind="flow", unit="count",
                               target=Decimal(5)))  # fmt: skip
    session.add(DistrictTarget(bureau_code="jinghai", year=YEAR, metric="rd_intensity", kind="stock", unit="ratio",
                               target=Decimal("0.032")))  # fmt: skip
    await session.flush()
    browse_as(client, await make_user(session, Role.city))

    page = await client.get(f"/dashboard?year={YEAR}")
    assert page.status_code == 200
    html = page.text
    header = table_rows(html, "tier-table")[0]
    assert header[:5] == ["审查单位", "雏鹰企业", "瞪羚企业", "科技领军培育企业", "科技领军企业"]
    # Two admitted gazelles and last year's seedling, held today; the gazelles are this year's new ones.
    assert row_for(html, "tier-table", JINGHAI)[1:] == ["1", "2", "0", "0", "3", "2"]
    assert row_for(html, "tier-table", "和平区")[1:3] == ["1", "0"]
    assert row_for(html, "tier-table", "合计")[1:] == ["2", "2", "0", "0", "4", "3"]
    # Against the district's target: 2 of 5, drawn as a bar with the target marked.
    assert table_rows(html, "target-table")[0] == ["审查单位", "瞪羚企业新入库"]
    assert row_for(html, "target-table", JINGHAI) == [JINGHAI, "2 / 5 40%"]
    chart = re.search(r'<div class="chart" id="chart-target-gazelle_new">(.*?)</div>', html, flags=re.S)
    assert chart is not None
    assert 'role="img"' in chart.group(1)
    assert len(re.findall(r'<rect class="bar"', chart.group(1))) == 1
    assert len(re.findall(r'<line class="target"', chart.group(1))) == 1
    assert "2 / 5" in chart.group(1)
    # A target the registry cannot measure is listed with its value, not charted.
    assert [JINGHAI, "研发投入强度", "存量", "3.2%"] in table_rows(html, "other-targets")
    # Trends by year: this year's admissions per tier.
    assert row_for(html, "admissions-table", str(YEAR))[1:3] == ["1", "2"]
    assert row_for(html, "admissions-table", str(YEAR - 1))[1:3] == ["1", "0"]
    # Every bureau is a row of the tier chart.
    tiers_chart = re.search(r'<div class="chart" id="chart-tiers">(.*?)</div>', html, flags=re.S)
    assert tiers_chart is not None
    assert tiers_chart.group(1).count('<g class="bar-row">') == 19


async def test_award_money_per_program_and_state_with_the_budget(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session, "jinghai")
    assert firm.id is not None
    for amount, state in (
        (300_000, "approved"),
        (200_000, "paid"),
        (100_000, "superseded"),
        (50_000, "rejected"),
    ):
        other = firm if state == "approved" else await make_firm(session, "jinghai")
        assert other.id is not None
        session.add(Award(firm_id=other.id, program="gazelle_first", year=YEAR, amount_yuan=amount, state=state,
                          bureau_code="jinghai"))  # fmt: skip
    session.add(AwardBudget(program="gazelle_first", year=YEAR, amount_yuan=1_000_000))
    await session.flush()
    browse_as(client, await make_user(session, Role.finance))

    page = await client.get(f"/dashboard?year={YEAR}")
    assert page.status_code == 200
    row = row_for(page.text, "award-table", "瞪羚企业首次入库奖励")
    # 2 awards (the superseded one is history, the rejected one is counted apart).
    assert row == ["瞪羚企业首次入库奖励", "2", "0.00 万元", "0.00 万元", "30.00 万元", "0.00 万元", "20.00 万元",
                   "50.00 万元", "100.00 万元", "1"]  # fmt: skip
    assert "50 万元 / 100 万元" in page.text  # the chart's row: paid so far against the budget
    # Finance sees the money, not the registry's tier counts.
    assert 'id="tier-table"' not in page.text


async def test_a_bureau_or_an_enterprise_gets_a_403_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/dashboard")
    assert page.status_code == 403
    assert "无权访问" in page.text
    assert "数据看板供市科技局使用" in page.text
    assert (await client.get("/evaluations")).status_code == 403
    firm = await make_firm(session)
    browse_as(client, await make_user(session, Role.enterprise, firm=firm))
    assert (await client.get("/dashboard")).status_code == 403


async def test_without_a_login_the_dashboard_sends_the_browser_to_log_in(client: httpx.AsyncClient) -> None:
    answer = await client.get("/dashboard?year=2025")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/dashboard%3Fyear%3D2025"


async def test_the_default_year_is_the_latest_with_targets(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    session.add(DistrictTarget(bureau_code="jinghai", year=YEAR - 1, metric="seedling_new", kind="flow",
                               unit="count", target=Decimal(3)))  # fmt: skip
    await session.flush()
    browse_as(client, await make_user(session, Role.city))
    page = await client.get("/dashboard")
    assert f'<option value="{YEAR - 1}" selected>' in page.text
    assert row_for(page.text, "target-table", JINGHAI) == [JINGHAI, "0 / 3 0%"]
    # A year without targets says so and points to the latest one that has them.
    other = await client.get(f"/dashboard?year={YEAR}")
    assert f"{YEAR} 年度没有录入区目标" in other.text
    assert f'href="/dashboard?year={YEAR - 1}"' in other.text


async def test_running_an_evaluation_shows_what_it_decided(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seedling_firm(session)
    await seedling_firm(session, revenue_yuan=76_500)
    token = browse_as(client, await make_user(session, Role.city))
    form = await client.get("/evaluations")
    assert form.status_code == 200
    assert "运行评价" in form.text

    answer = await client.post("/evaluations", data={"year": str(YEAR), "csrf_token": token})
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(f"/evaluations?year={YEAR}&run=")
    page = await client.get(location)
    messages = flashes(page.text)
    assert messages[0].startswith(f"{YEAR} 年度评价完成：2 家企业，新写入")
    assert "天津市雏鹰企业 1 家" in messages[1]
    assert row_for(page.text, "run-programs", "天津市雏鹰企业")[1:] == ["1", "1", "0"]
    assert row_for(page.text, "latest-outcomes", "天津市雏鹰企业")[1:] == ["1", "1", "0"]
    runs = table_rows(page.text, "runs")
    assert runs[1][2:5] == [str(YEAR), "2", messages[0].split("新写入 ")[1].split(" 条")[0]]

    # Again, nothing has changed: nothing new is written.
    again = await client.post("/evaluations", data={"year": str(YEAR), "csrf_token": token})
    second = flashes((await client.get(again.headers["location"])).text)[0]
    assert "新写入 0 条结论" in second


async def test_an_evaluation_form_without_its_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seedling_firm(session)
    browse_as(client, await make_user(session, Role.city))
    before = await _audit_runs(session)
    answer = await client.post("/evaluations", data={"year": str(YEAR)})
    assert answer.status_code == 403
    assert "页面已过期" in answer.text
    forged = await client.post("/evaluations", data={"year": str(YEAR), "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert await _audit_runs(session) == before


async def test_a_bureau_cannot_run_the_citys_evaluation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await seedling_firm(session)
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    before = await _audit_runs(session)
    answer = await client.post("/evaluations", data={"year": str(YEAR), "csrf_token": token})
    assert answer.status_code == 403
    assert await _audit_runs(session) == before


async def test_an_unreadable_year_is_a_422_page(client: httpx.AsyncClient, session: AsyncSession) -> None:
    token = browse_as(client, await make_user(session, Role.city))
    answer = await client.post("/evaluations", data={"year": "明年", "csrf_token": token})
    assert answer.status_code == 422
    assert "输入有误" in answer.text
    assert (await client.get("/dashboard?year=1999")).status_code == 422
