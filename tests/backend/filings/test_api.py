"""Filing figures by fiscal year: validation, append-only revisions and their provenance."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.core.provenance import Origin
from backend.filings import service as filing_service
from backend.filings.schemas import FilingUpdate
from backend.models import ImportRun, Source
from backend.models.firm import Firm
from tests.factories.filings import make_filing
from tests.factories.firms import make_firm
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role


@pytest.fixture
async def firm(session: AsyncSession) -> Firm:
    return await make_firm(session, "jinghai")


@pytest.fixture
async def bureau(session: AsyncSession) -> LoggedIn:
    return await make_user(session, Role.bureau, bureau_code="jinghai")


async def test_three_successive_writes_leave_three_revisions_with_their_origin(
    client: httpx.AsyncClient, session: AsyncSession, firm: Firm, bureau: LoggedIn
) -> None:
    city = await make_user(session, Role.city)
    # 1: the bureau types the filing in.
    created = await client.post(
        f"/api/firms/{firm.uscc}/filings",
        json={"fiscal_year": 2024, "revenue_yuan": 9_000_000, "employees": 50, "tech_staff": 10},
        headers=bureau.headers,
    )
    assert created.status_code == 201, created.text
    # 2: a workbook row corrects the revenue (what an import does, through the same service).
    run = ImportRun(
        file_name="2025年度静海区雏鹰企业申报汇总表.xlsx",
        sha256="0" * 64,
        bureau_code="jinghai",
        status="committed",
    )
    session.add(run)
    await session.flush()
    origin = Origin(Source.import_, import_run_id=run.id, sheet="汇总表", row=7)
    await filing_service.revise_filing(
        session, bureau_actor(bureau), firm.uscc, 2024, FilingUpdate(revenue_yuan=9_500_000), origin=origin
    )
    # 3: the city fixes the staff count with a reason.
    patched = await client.patch(
        f"/api/firms/{firm.uscc}/filings/2024",
        json={"tech_staff": 12, "note": "核对社保缴纳名单"},
        headers=city.headers,
    )
    assert patched.status_code == 200, patched.text

    current = (await client.get(f"/api/firms/{firm.uscc}/filings/2024", headers=bureau.headers)).json()
    assert (current["revision_no"], current["revenue_yuan"], current["tech_staff"]) == (3, 9_500_000, 12)
    assert current["provenance"]["created_by"] == city.user.username

    history = (
        await client.get(f"/api/firms/{firm.uscc}/filings/2024/revisions", headers=bureau.headers)
    ).json()
    assert [h["revision_no"] for h in history] == [1, 2, 3]
    first, second, third = (h["provenance"] for h in history)
    assert (first["source"], first["created_by"], first["file_name"]) == (
        "manual",
        bureau.user.username,
        None,
    )
    assert (second["source"], second["file_name"], second["sheet"], second["row"]) == (
        "import",
        "2025年度静海区雏鹰企业申报汇总表.xlsx",
        "汇总表",
        7,
    )
    assert (third["created_by"], third["note"]) == (city.user.username, "核对社保缴纳名单")
    assert [c["field"] for c in history[1]["changes"]] == ["revenue_yuan"]
    assert history[1]["changes"][0] == {"field": "revenue_yuan", "before": 9_000_000, "after": 9_500_000}
    assert history[2]["changes"] == [{"field": "tech_staff", "before": 10, "after": 12}]
    # The old states are still what they were.
    assert (history[0]["revenue_yuan"], history[0]["tech_staff"]) == (9_000_000, 10)


def bureau_actor(user: LoggedIn) -> Any:
    from backend.auth.service import actor_of

    return actor_of(user.user)


async def test_patch_with_unchanged_values_adds_no_revision(
    client: httpx.AsyncClient, session: AsyncSession, firm: Firm, bureau: LoggedIn
) -> None:
    await make_filing(session, firm, 2024, revenue_yuan=1_000_000)
    response = await client.patch(
        f"/api/firms/{firm.uscc}/filings/2024", json={"revenue_yuan": 1_000_000}, headers=bureau.headers
    )
    assert response.status_code == 200
    assert response.json()["revision_no"] == 1


async def test_null_clears_a_figure_in_a_new_revision(
    client: httpx.AsyncClient, session: AsyncSession, firm: Firm, bureau: LoggedIn
) -> None:
    await make_filing(session, firm, 2024, ip_class1=2)
    response = await client.patch(
        f"/api/firms/{firm.uscc}/filings/2024", json={"ip_class1": None}, headers=bureau.headers
    )
    assert response.status_code == 200
    assert (response.json()["revision_no"], response.json()["ip_class1"]) == (2, None)


@pytest.mark.parametrize(
    ("figures", "field", "fragment"),
    [
        ({"revenue_yuan": -1}, "revenue_yuan", "金额不能为负"),
        ({"employees": 10, "tech_staff": 11}, "tech_staff", "科技人员数（11）不能超过职工总数（10）"),
        ({"rd_expense_yuan": 100, "rd_domestic_yuan": 101}, "rd_domestic_yuan", "境内研发费用"),
        ({"revenue_yuan": 1.5}, "revenue_yuan", "应为整数"),
        ({"contest_level": "galactic"}, "contest_level", "应为以下之一"),
        ({"revenu_yuan": 5}, "revenu_yuan", "不允许的字段"),
        ({"hte_score_total": 101}, "hte_score_total", "不能大于 100"),
        ({"hte_score_total": -1}, "hte_score_total", "不能小于 0"),
    ],
)
async def test_bad_figures_are_422_with_the_field_named_and_nothing_written(
    client: httpx.AsyncClient,
    firm: Firm,
    bureau: LoggedIn,
    figures: dict[str, Any],
    field: str,
    fragment: str,
) -> None:
    response = await client.post(
        f"/api/firms/{firm.uscc}/filings", json={"fiscal_year": 2024, **figures}, headers=bureau.headers
    )
    assert response.status_code == 422, response.text
    error = response.json()["context"]["errors"][0]
    assert error["field"] == field
    assert fragment in error["message"]
    assert (await client.get(f"/api/firms/{firm.uscc}/filings", headers=bureau.headers)).json() == []


async def test_the_experts_hte_total_is_a_figure_0_to_100_named_by_its_label(
    client: httpx.AsyncClient, firm: Firm, bureau: LoggedIn
) -> None:
    url = f"/api/firms/{firm.uscc}/filings"
    refused = await client.post(
        url, json={"fiscal_year": 2024, "hte_score_total": 101}, headers=bureau.headers
    )
    assert refused.status_code == 422
    error = refused.json()["context"]["errors"][0]
    assert (error["label"], error["value"], error["message"]) == ("高企认定专家评审总分", 101, "不能大于 100")
    assert "高企认定专家评审总分：不能大于 100" in refused.json()["detail"]

    created = await client.post(
        url, json={"fiscal_year": 2024, "hte_score_total": 100}, headers=bureau.headers
    )
    assert created.status_code == 201, created.text
    patched = await client.patch(f"{url}/2024", json={"hte_score_total": 71}, headers=bureau.headers)
    assert patched.json()["hte_score_total"] == 71
    history = (await client.get(f"{url}/2024/revisions", headers=bureau.headers)).json()
    assert history[1]["changes"] == [{"field": "hte_score_total", "before": 100, "after": 71}]


async def test_tech_staff_check_applies_after_a_partial_update(
    client: httpx.AsyncClient, session: AsyncSession, firm: Firm, bureau: LoggedIn
) -> None:
    await make_filing(session, firm, 2024, employees=20, tech_staff=5)
    response = await client.patch(
        f"/api/firms/{firm.uscc}/filings/2024", json={"tech_staff": 21}, headers=bureau.headers
    )
    assert response.status_code == 422
    assert response.json()["context"]["errors"][0]["field"] == "tech_staff"
    history = (
        await client.get(f"/api/firms/{firm.uscc}/filings/2024/revisions", headers=bureau.headers)
    ).json()
    assert len(history) == 1


async def test_future_and_pre_registration_years_are_refused(
    client: httpx.AsyncClient, firm: Firm, bureau: LoggedIn
) -> None:
    next_year = clock.today().year + 1
    future = await client.post(
        f"/api/firms/{firm.uscc}/filings", json={"fiscal_year": next_year}, headers=bureau.headers
    )
    assert future.status_code == 422
    assert future.json()["context"]["errors"][0] == {
        "field": "fiscal_year",
        "value": next_year,
        "message": f"会计年度不能晚于今年（{next_year - 1}）",
    }
    early = await client.post(
        f"/api/firms/{firm.uscc}/filings", json={"fiscal_year": 2010}, headers=bureau.headers
    )
    assert early.status_code == 422
    assert "早于企业注册年份" in early.json()["detail"]


async def test_second_create_for_the_same_year_is_409(
    client: httpx.AsyncClient, session: AsyncSession, firm: Firm, bureau: LoggedIn
) -> None:
    await make_filing(session, firm, 2024)
    response = await client.post(
        f"/api/firms/{firm.uscc}/filings", json={"fiscal_year": 2024}, headers=bureau.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "filing.duplicate"


async def test_missing_year_is_404(client: httpx.AsyncClient, firm: Firm, bureau: LoggedIn) -> None:
    for method, path in (("GET", "2023"), ("PATCH", "2023"), ("GET", "2023/revisions")):
        response = await client.request(
            method,
            f"/api/firms/{firm.uscc}/filings/{path}",
            json={} if method == "PATCH" else None,
            headers=bureau.headers,
        )
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "filing.not_found"


async def test_revisions_are_append_only_in_the_database(session: AsyncSession, firm: Firm) -> None:
    await make_filing(session, firm, 2024)
    connection = await session.connection()
    nested = await connection.begin_nested()
    with pytest.raises(Exception, match="append-only"):
        await connection.execute(text("UPDATE filing_revision SET revenue_yuan = 1"))
    await nested.rollback()


async def test_the_database_refuses_an_hte_total_outside_0_to_100(session: AsyncSession, firm: Firm) -> None:
    await make_filing(session, firm, 2024)
    connection = await session.connection()
    filing_id = (
        await connection.execute(text("SELECT id FROM filing WHERE firm_id = :firm"), {"firm": firm.id})
    ).scalar_one()
    insert = text(
        "INSERT INTO filing_revision (filing_id, revision_no, hte_score_total, source, created_at) "
        "VALUES (:filing, 2, :total, 'manual', now())"
    )
    for total in (101, -1):
        nested = await connection.begin_nested()
        with pytest.raises(Exception, match="ck_filing_revision_hte_score_total_range"):
            await connection.execute(insert, {"filing": filing_id, "total": total})
        await nested.rollback()
