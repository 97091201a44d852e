"""A firm's status, what-ifs, rule sets and version comparison through the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.evaluations import service
from backend.filings import service as filing_service
from backend.filings.schemas import FilingUpdate
from tests.factories.evaluations import last_fiscal_year, seedling_firm
from tests.factories.firms import OPERATOR, make_firm
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role

YEAR = clock.today().year


def decision(status: dict[str, Any], program: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in status["decisions"] if d["program"] == program)
    return found


def criterion(node: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    if node["id"] == criterion_id:
        return node
    for child in node["children"]:
        try:
            return criterion(child, criterion_id)
        except KeyError:
            continue
    raise KeyError(criterion_id)


async def test_enterprise_sees_each_criterion_with_its_figures_and_the_gap(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session, revenue_yuan=76_500)
    user = await make_user(session, Role.enterprise, firm=firm)
    response = await client.get(f"/api/firms/{firm.uscc}/status", headers=user.headers)
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["held_tiers"] == []
    assert status["next_rung"] == "seedling"
    seedling = decision(status, "seedling")
    assert (seedling["outcome"], seedling["outcome_label"]) == ("ineligible", "不符合")
    revenue = criterion(seedling["criteria"], "revenue")
    assert revenue["outcome_label"] == "未达标"
    assert revenue["facts"] == {"filing.revenue_yuan": 76500.0}
    assert revenue["params"][0] == {
        "name": "min_revenue_yuan", "value": 100000, "reference": "津科规〔2021〕3号 第五条（四）",
        "status": "confirmed", "unit": "yuan",
    }  # fmt: skip
    assert revenue["comparisons"][0]["text"] == "上一年度营业收入 7.65万元，需达到 10万元"
    assert [s["text"] for s in status["next_rung_advice"]["steps"]] == [
        "上一年度营业收入还差 2.35万元（现为 7.65万元）"
    ]


async def test_provisional_thresholds_are_marked_on_the_decision(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session)
    user = await make_user(session, Role.enterprise, firm=firm)
    seedling = decision(
        (await client.get(f"/api/firms/{firm.uscc}/status", headers=user.headers)).json(), "seedling"
    )
    assert seedling["outcome"] == "eligible"
    assert [p["name"] for p in seedling["provisional"]] == ["age_upper_inclusive"]
    assert seedling["provisional"][0]["status"] == "provisional"


async def test_status_shows_whether_the_stored_decision_still_holds(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session, revenue_yuan=76_500)
    user = await make_user(session, Role.city)
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    stored = decision(
        (await client.get(f"/api/firms/{firm.uscc}/status", headers=user.headers)).json(), "seedling"
    )["stored"]
    assert (stored["outcome"], stored["same_inputs"]) == ("ineligible", True)
    await filing_service.revise_filing(
        session, OPERATOR, firm.uscc, last_fiscal_year(), FilingUpdate(revenue_yuan=200_000)
    )
    live = decision(
        (await client.get(f"/api/firms/{firm.uscc}/status", headers=user.headers)).json(), "seedling"
    )
    assert live["outcome"] == "eligible"
    assert (live["stored"]["outcome"], live["stored"]["same_inputs"]) == ("ineligible", False)


async def test_status_is_scoped_and_closed_to_finance(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mine = await seedling_firm(session, "jinghai")
    other = await seedling_firm(session, "heping")
    enterprise = await make_user(session, Role.enterprise, firm=mine)
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    finance = await make_user(session, Role.finance)
    assert (
        await client.get(f"/api/firms/{other.uscc}/status", headers=enterprise.headers)
    ).status_code == 404
    assert (await client.get(f"/api/firms/{other.uscc}/status", headers=bureau.headers)).status_code == 404
    assert (await client.get(f"/api/firms/{mine.uscc}/status", headers=bureau.headers)).status_code == 200
    assert (await client.get(f"/api/firms/{mine.uscc}/status", headers=finance.headers)).status_code == 403


@pytest.fixture
async def enterprise(session: AsyncSession) -> LoggedIn:
    firm = await seedling_firm(session, revenue_yuan=76_500)
    return await make_user(session, Role.enterprise, firm=firm)


async def test_what_if_on_own_figures_is_decided_and_not_stored(
    client: httpx.AsyncClient, session: AsyncSession, enterprise: LoggedIn
) -> None:
    uscc = (await client.get("/api/auth/me", headers=enterprise.headers)).json()["firm_uscc"]
    body = {
        "uscc": uscc,
        "year": YEAR,
        "programs": ["seedling"],
        "filings": {str(last_fiscal_year()): {"revenue_yuan": 120_000}},
    }
    response = await client.post("/api/what-if", json=body, headers=enterprise.headers)
    assert response.status_code == 200, response.text
    [seedling] = response.json()
    assert seedling["outcome"] == "eligible"
    assert criterion(seedling["criteria"], "revenue")["facts"] == {"filing.revenue_yuan": 120000.0}
    connection = await session.connection()
    assert (await connection.execute(text("SELECT count(*) FROM evaluation"))).scalar_one() == 0
    current = (
        await client.get(f"/api/firms/{uscc}/filings/{last_fiscal_year()}", headers=enterprise.headers)
    ).json()
    assert current["revenue_yuan"] == 76_500  # the registry is untouched


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"revenue_yuan": -5}, "filings.{year}.revenue_yuan", "金额不能为负"),
        ({"revenu_yuan": 5}, "filings.{year}.revenu_yuan", "不允许的字段"),
    ],
)
async def test_what_if_with_bad_figures_is_422_naming_the_field(
    client: httpx.AsyncClient, enterprise: LoggedIn, change: dict[str, Any], field: str, fragment: str
) -> None:
    uscc = (await client.get("/api/auth/me", headers=enterprise.headers)).json()["firm_uscc"]
    body = {"uscc": uscc, "year": YEAR, "filings": {str(last_fiscal_year()): change}}
    response = await client.post("/api/what-if", json=body, headers=enterprise.headers)
    assert response.status_code == 422
    error = response.json()["context"]["errors"][0]
    assert error["field"] == field.format(year=last_fiscal_year())
    assert fragment in error["message"]


async def test_what_if_refuses_other_firms_unknown_programs_and_inputs(
    client: httpx.AsyncClient, session: AsyncSession, enterprise: LoggedIn
) -> None:
    other = await make_firm(session, "heping")
    uscc = (await client.get("/api/auth/me", headers=enterprise.headers)).json()["firm_uscc"]
    assert (
        await client.post("/api/what-if", json={"uscc": other.uscc, "year": YEAR}, headers=enterprise.headers)
    ).status_code == 404
    facts = {"firm": {"registered_on": "2020-01-01"}}
    assert (
        await client.post("/api/what-if", json={"year": YEAR, "facts": facts}, headers=enterprise.headers)
    ).status_code == 403
    unknown = await client.post(
        "/api/what-if", json={"uscc": uscc, "year": YEAR, "programs": ["unicorn"]}, headers=enterprise.headers
    )
    assert unknown.status_code == 422
    assert "unicorn" in unknown.json()["detail"]
    bad_input = await client.post(
        "/api/what-if", json={"uscc": uscc, "year": YEAR, "inputs": {"loan": 1}}, headers=enterprise.headers
    )
    assert bad_input.status_code == 422
    assert bad_input.json()["context"]["errors"][0]["field"] == "inputs.loan"


async def test_city_staff_can_decide_a_facts_document(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    fy = str(last_fiscal_year())
    facts = {
        "firm": {"registered_on": "2022-04-01", "uscc": "91120118MA06R1D13A"},
        "filings": {fy: {"revenue_yuan": 500_000, "ip_class1": 1, "research_misconduct": False, "abnormal_operation": False,
                         "serious_violation": False}},
    }  # fmt: skip
    response = await client.post(
        "/api/what-if", json={"year": YEAR, "programs": ["seedling"], "facts": facts}, headers=city.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()[0]["outcome"] == "eligible"
    facts["filings"][fy]["revenue_yuan"] = -1  # type: ignore[index]
    bad = await client.post("/api/what-if", json={"year": YEAR, "facts": facts}, headers=city.headers)
    assert bad.status_code == 422
    assert bad.json()["context"]["errors"][0]["field"] == f"filings.{fy}.revenue_yuan"


async def test_rule_sets_are_listed_with_sources_and_status(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.enterprise, firm=await make_firm(session))
    listing = (await client.get("/api/rules", headers=user.headers)).json()
    seedling = next(r for r in listing if (r["program"], r["version"]) == ("seedling", "2021"))
    assert seedling["in_force_today"] is True
    assert seedling["provisional_params"] == 1
    detail = (await client.get("/api/rules/seedling/2021", headers=user.headers)).json()
    params = {p["name"]: p for p in detail["params"]}
    assert params["min_revenue_yuan"]["value"] == 100000
    assert params["age_upper_inclusive"]["status"] == "provisional"
    assert detail["criteria"]["children"][4]["test"] == "filing.revenue_yuan >= params.min_revenue_yuan"
    assert (await client.get("/api/rules/seedling/1999", headers=user.headers)).status_code == 404


async def test_diff_between_seedling_2019_and_2021_lists_gainers_and_losers_with_reasons(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    young_big = await seedling_firm(session, revenue_yuan=20_000_000, ip_class2=2)  # over the 2019 ceiling
    await make_firm(session, registered_on=date(2015, 5, 5))  # no filing at all: unknown under both
    body = {"program": "seedling", "old_version": "2019", "new_version": "2021", "year": YEAR}
    response = await client.post("/api/rules/diff", json=body, headers=city.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    changed = {f["uscc"]: f for f in result["firms"]}
    assert changed[young_big.uscc]["change"] == "gained"
    assert any(reason.startswith("revenue") for reason in changed[young_big.uscc]["reasons"])
    assert result["counts"]["gained"] >= 1
    assert isinstance(result["award_delta_yuan"], int)


async def test_diff_is_for_city_staff_only(client: httpx.AsyncClient, session: AsyncSession) -> None:
    body = {"program": "seedling", "old_version": "2019", "new_version": "2021", "year": YEAR}
    for role, binding in ((Role.bureau, {"bureau_code": "jinghai"}), (Role.finance, {})):
        user = await make_user(session, role, **binding)  # type: ignore[arg-type]
        assert (await client.post("/api/rules/diff", json=body, headers=user.headers)).status_code == 403
    city = await make_user(session, Role.city)
    missing = await client.post("/api/rules/diff", json={**body, "old_version": "1999"}, headers=city.headers)
    assert missing.status_code == 404


async def test_the_innovation_index_comes_with_a_profile_and_percentiles(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.factories.filings import make_filing

    city = await make_user(session, Role.city)
    figures: dict[str, Any] = {"employees": 50, "tech_staff": 15, "ip_class1": 0, "ip_class2": 10}
    strong = await seedling_firm(session, revenue_yuan=10_000_000, rd_expense_yuan=600_000, **figures)
    weak = await seedling_firm(session, revenue_yuan=10_000_000, rd_expense_yuan=100_000, **figures)
    for firm in (strong, weak):  # growth needs the year before
        await make_filing(session, firm, last_fiscal_year() - 1, revenue_yuan=8_000_000)
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["innovation_index"])
    index = decision(
        (await client.get(f"/api/firms/{strong.uscc}/status", headers=city.headers)).json(),
        "innovation_index",
    )
    assert index["outcome"] == "eligible"
    parts = {c["name"]: c for c in index["components"]}
    assert set(parts) == {"rd_intensity", "ip", "growth", "talent"}
    assert parts["rd_intensity"]["label"] == "研发强度"
    assert sum(c["points"] for c in index["components"]) == pytest.approx(index["score"])
    assert index["percentiles"] == {
        "bureau": 1.0,
        "bureau_peers": 2,
        "tech_field": None,
        "tech_field_peers": 0,
    }
    lower = decision(
        (await client.get(f"/api/firms/{weak.uscc}/status", headers=city.headers)).json(), "innovation_index"
    )
    assert lower["score"] < index["score"]
    assert lower["percentiles"]["bureau"] == 0.5


def without(node: dict[str, Any], decision_keys: set[str], criterion_keys: set[str]) -> dict[str, Any]:
    """A full status with the fields only ``detail=full`` carries taken out."""

    def criterion_without(c: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in c.items() if k not in criterion_keys}
        return kept | {"children": [criterion_without(child) for child in c["children"]]}

    decisions = [
        {k: v for k, v in d.items() if k not in decision_keys}
        | {"criteria": criterion_without(d["criteria"])}
        for d in node["decisions"]
    ]
    return node | {"decisions": decisions}


async def test_the_status_carries_what_its_page_shows_and_detail_full_adds_the_engine_s_workings(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session, revenue_yuan=76_500)
    user = await make_user(session, Role.enterprise, firm=firm)
    url = f"/api/firms/{firm.uscc}/status"
    shown = (await client.get(url, headers=user.headers)).json()
    full = (await client.get(f"{url}?detail=full", headers=user.headers)).json()

    seedling = decision(full, "seedling")
    revenue = criterion(seedling["criteria"], "revenue")
    assert revenue["test"] == "filing.revenue_yuan >= params.min_revenue_yuan"
    assert revenue["changes"][0]["text"] == "上一年度营业收入还差 2.35万元（现为 7.65万元）"
    assert seedling["advice"]["steps"][0]["text"] == "上一年度营业收入还差 2.35万元（现为 7.65万元）"
    assert len(seedling["content_hash"]) == 64
    # the default is the same status without them: every figure, threshold, article and badge the page shows
    assert shown == without(full, {"advice", "content_hash"}, {"test", "changes", "advice_kind"})
    assert shown["next_rung_advice"]["steps"][0]["text"] == "上一年度营业收入还差 2.35万元（现为 7.65万元）"
    assert len(str(shown)) < 0.85 * len(str(full))

    wrong = await client.get(f"{url}?detail=everything", headers=user.headers)
    assert wrong.status_code == 422
    assert wrong.json()["context"]["errors"][0]["field"] == "detail"
