"""The experts' 高企 total, entered through the filings API, decides the hte innovation criterion.

Without it the criterion bounds the score as an interval from the sub-scores (16 + 24 + 14 here:
69–74 points, across the 71-point line, so 资料不全); once the bureau enters the experts' total,
71 passes and 70 fails, in the live status and in a stored evaluation run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.evaluations import service
from backend.models import Firm
from tests.backend.evaluations.test_api import criterion, decision
from tests.factories.evaluations import CLEAN
from tests.factories.filings import make_filing
from tests.factories.firms import OPERATOR, make_firm
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role

YEAR = clock.today().year
LABEL = "高企认定专家评审总分"


async def hte_firm(session: AsyncSession) -> Firm:
    """Meets every other hte condition; its expert sub-scores leave the total between 69 and 74."""
    firm = await make_firm(session, registered_on=date(2018, 3, 1), tech_field="electronic_information")
    years = {
        YEAR - 3: {"revenue_yuan": 30_000_000, "rd_expense_yuan": 2_100_000, "rd_domestic_yuan": 2_100_000,
                   "net_assets_yuan": 10_000_000},
        YEAR - 2: {"revenue_yuan": 36_000_000, "rd_expense_yuan": 2_520_000, "rd_domestic_yuan": 2_520_000,
                   "net_assets_yuan": 12_000_000},
        YEAR - 1: {"revenue_yuan": 43_200_000, "rd_expense_yuan": 3_024_000, "rd_domestic_yuan": 3_024_000,
                   "net_assets_yuan": 14_400_000, "total_income_yuan": 45_000_000, "hitech_revenue_yuan": 36_000_000,
                   "employees": 50, "tech_staff": 10, "ip_class1": 0, "ip_class2": 6,
                   "hte_score_ip_quality": 16, "hte_score_conversion": 24, "hte_score_management": 14},
    }  # fmt: skip
    for fiscal_year, figures in years.items():
        await make_filing(session, firm, fiscal_year, **(CLEAN | figures))
    return firm


async def hte_now(client: httpx.AsyncClient, firm: Firm, user: LoggedIn) -> dict[str, Any]:
    response = await client.get(f"/api/firms/{firm.uscc}/status", headers=user.headers)
    assert response.status_code == 200, response.text
    return decision(response.json(), "hte")


async def enter_total(client: httpx.AsyncClient, firm: Firm, user: LoggedIn, total: int) -> None:
    response = await client.patch(
        f"/api/firms/{firm.uscc}/filings/{YEAR - 1}", json={"hte_score_total": total}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["hte_score_total"] == total


async def test_the_experts_total_decides_the_innovation_criterion_once_the_bureau_enters_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await hte_firm(session)
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")

    before = await hte_now(client, firm, bureau)
    innovation = criterion(before["criteria"], "innovation_score")
    assert (before["outcome"], innovation["outcome"]) == ("unknown", "unknown")
    assert innovation["missing"] == ["filing.hte_score_total"]
    assert innovation["missing_labels"] == [f"上一年度{LABEL}"]
    assert "71分" in innovation["label"]
    assert "filing." not in innovation["label"]

    await enter_total(client, firm, bureau, 71)
    passed = await hte_now(client, firm, bureau)
    innovation = criterion(passed["criteria"], "innovation_score")
    assert (passed["outcome"], innovation["outcome"]) == ("eligible", "pass")
    assert innovation["facts"]["filing.hte_score_total"] == 71

    await enter_total(client, firm, bureau, 70)
    failed = await hte_now(client, firm, bureau)
    innovation = criterion(failed["criteria"], "innovation_score")
    assert (failed["outcome"], innovation["outcome"]) == ("ineligible", "fail")
    assert [c["text"] for c in innovation["comparisons"]] == [f"上一年度{LABEL} 70分，需达到 71分"]


async def test_an_evaluation_run_stores_the_decision_the_total_makes(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await hte_firm(session)
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    await enter_total(client, firm, bureau, 71)
    summary = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["hte"])
    assert summary.programs["hte"] == {"eligible": 1, "ineligible": 0, "unknown": 0}
    connection = await session.connection()
    outcome, criteria = (
        await connection.execute(
            text("SELECT outcome, criteria FROM evaluation WHERE firm_id = :firm AND program = 'hte'"),
            {"firm": firm.id},
        )
    ).one()
    assert (outcome, criteria["innovation_score"]) == ("eligible", "pass")
