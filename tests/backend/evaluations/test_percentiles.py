"""The innovation index's percentiles on a firm's status: where its score stands among its bureau's and
its tech field's peers, as the latest evaluation run left their scores."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.evaluations import repository, service
from backend.filings import service as filing_service
from backend.filings.schemas import FilingUpdate
from backend.firms import service as firm_service
from backend.firms.schemas import FirmUpdate
from backend.models import Firm
from tests.factories.evaluations import CLEAN, last_fiscal_year
from tests.factories.filings import make_filing
from tests.factories.firms import OPERATOR, make_firm
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role

YEAR = clock.today().year
INDEX = "innovation_index"


async def indexed_firm(
    session: AsyncSession, bureau: str, rd_expense_yuan: int, tech_field: str | None = None
) -> Firm:
    """A firm whose index is computed; its score rises with its R&D expense (up to 6% of revenue)."""
    firm = await make_firm(session, bureau, registered_on=date(2021, 3, 1), tech_field=tech_field)
    figures = CLEAN | {"revenue_yuan": 10_000_000, "employees": 50, "tech_staff": 15, "ip_class1": 0,
                       "ip_class2": 10}  # fmt: skip
    await make_filing(session, firm, last_fiscal_year(), **figures, rd_expense_yuan=rd_expense_yuan)
    await make_filing(session, firm, last_fiscal_year() - 1, revenue_yuan=8_000_000)
    return firm


async def evaluate(session: AsyncSession) -> None:
    await service.evaluate_year(session, OPERATOR, year=YEAR, programs=[INDEX])


async def shown(client: httpx.AsyncClient, user: LoggedIn, firm: Firm) -> dict[str, Any]:
    response = await client.get(f"/api/firms/{firm.uscc}/status", headers=user.headers)
    assert response.status_code == 200, response.text
    index: dict[str, Any] = next(d for d in response.json()["decisions"] if d["program"] == INDEX)
    return index


async def counted(session: AsyncSession, firm: Firm, score: float) -> dict[str, Any]:
    """The share of peers at or below ``score``, counted directly over the latest stored scores."""
    connection = await session.connection()
    params = {
        "bureau": firm.bureau_code,
        "field": firm.tech_field,
        "score": score,
        "program": INDEX,
        "year": YEAR,
    }
    row = (
        await connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE f.bureau_code = :bureau), "
                "count(*) FILTER (WHERE f.bureau_code = :bureau AND e.score <= :score), "
                "count(*) FILTER (WHERE f.tech_field = :field), "
                "count(*) FILTER (WHERE f.tech_field = :field AND e.score <= :score) "
                "FROM evaluation_latest l JOIN evaluation e ON e.id = l.evaluation_id JOIN firm f ON f.id = l.firm_id "
                "WHERE l.program = :program AND l.year = :year AND e.score IS NOT NULL"
            ),
            params,
        )
    ).one()
    in_bureau, below_b, in_field, below_f = row
    return {
        "bureau": round(below_b / in_bureau, 4) if in_bureau else None, "bureau_peers": in_bureau,
        "tech_field": round(below_f / in_field, 4) if in_field else None, "tech_field_peers": in_field,
    }  # fmt: skip


@pytest.mark.parametrize("scores_per_row", [repository.SCORES_PER_ROW, 2])
async def test_the_percentiles_shown_after_a_run_are_a_count_of_the_peers_at_or_below(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, scores_per_row: int
) -> None:
    monkeypatch.setattr(repository, "SCORES_PER_ROW", scores_per_row)  # one stored row per group, or several
    city = await make_user(session, Role.city)
    spread = [
        ("jinghai", 100_000, "biomedicine"), ("jinghai", 200_000, "biomedicine"), ("jinghai", 200_000, None),
        ("jinghai", 300_000, "new_materials"), ("jinghai", 450_000, None), ("jinghai", 600_000, "biomedicine"),
        ("heping", 150_000, "biomedicine"), ("heping", 250_000, None), ("heping", 700_000, "biomedicine"),
    ]  # fmt: skip
    firms = [await indexed_firm(session, bureau, rd, field) for bureau, rd, field in spread]
    await evaluate(session)
    seen = {}
    for firm in firms:
        index = await shown(client, city, firm)
        assert index["percentiles"] == await counted(session, firm, index["score"]), firm.uscc
        seen[firm.uscc] = index["percentiles"]
    top = seen[firms[5].uscc]
    # heping's 700,000 ties at the index's cap for R&D intensity (6%): both stand at the top of the field
    assert top == {"bureau": 1.0, "bureau_peers": 6, "tech_field": 1.0, "tech_field_peers": 5}
    tied = seen[firms[1].uscc], seen[firms[2].uscc]
    assert tied[0]["bureau"] == tied[1]["bureau"] == 0.5  # equal scores stand together: 3 of 6 at or below
    assert (tied[1]["tech_field"], tied[1]["tech_field_peers"]) == (None, 0)

    # Figures changed since the run: the live score stands among the scores the run stored.
    await filing_service.revise_filing(
        session, OPERATOR, firms[0].uscc, last_fiscal_year(), FilingUpdate(rd_expense_yuan=250_000)
    )
    index = await shown(client, city, firms[0])
    assert index["percentiles"] == await counted(session, firms[0], index["score"])
    assert index["percentiles"]["bureau"] == 0.5  # its stored 100,000 and both 200,000s of 6


async def test_a_run_that_changes_scores_changes_the_percentiles(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    leader = await indexed_firm(session, "jinghai", 500_000)
    climber = await indexed_firm(session, "jinghai", 100_000)
    await evaluate(session)
    assert (await shown(client, city, climber))["percentiles"]["bureau"] == 0.5
    assert (await shown(client, city, leader))["percentiles"]["bureau"] == 1.0

    await filing_service.revise_filing(
        session, OPERATOR, climber.uscc, last_fiscal_year(), FilingUpdate(rd_expense_yuan=580_000)
    )
    await evaluate(session)
    assert (await shown(client, city, climber))["percentiles"]["bureau"] == 1.0
    assert (await shown(client, city, leader))["percentiles"]["bureau"] == 0.5
    newcomer = await indexed_firm(session, "jinghai", 50_000)
    await evaluate(session)
    assert (await shown(client, city, newcomer))["percentiles"] == {
        "bureau": round(1 / 3, 4), "bureau_peers": 3, "tech_field": None, "tech_field_peers": 0,
    }  # fmt: skip


async def test_a_firm_that_moves_counts_among_its_new_peers_after_the_next_run(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    staying = await indexed_firm(session, "heping", 300_000)
    moving = await indexed_firm(session, "jinghai", 500_000)
    await evaluate(session)
    assert (await shown(client, city, staying))["percentiles"]["bureau_peers"] == 1

    await firm_service.update_firm(session, OPERATOR, moving.uscc, FirmUpdate(bureau_code="heping"))
    await session.flush()
    summary = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=[INDEX])
    assert summary.evaluated == 0  # the index does not read the bureau: no decision changed
    assert (await shown(client, city, staying))["percentiles"] == {
        "bureau": 0.5, "bureau_peers": 2, "tech_field": None, "tech_field_peers": 0,
    }  # fmt: skip
