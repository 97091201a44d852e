"""The business-registration and IP registers feed the integrity and IP facts, fail closed.

A firm eligible for 雏鹰 on its own declarations loses it when the business register lists it as
abnormal or when the IP register holds fewer valid records than it declared; a register change
is an input change, so the next run stores a new decision.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core import clock
from backend.evaluations import service
from backend.evaluations.facts import load_raw
from backend.models import BusinessRecord, Firm, ImportRun, IpRecord
from tests.factories.evaluations import last_fiscal_year, seedling_firm
from tests.factories.firms import OPERATOR
from tests.factories.users import make_user
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


async def import_run(session: AsyncSession, kind: str) -> int:
    run = ImportRun(kind=kind, file_name=f"{kind}.xlsx", sha256="0" * 64, status="committed", source="cli")
    session.add(run)
    await session.flush()
    assert run.id is not None
    return run.id


async def list_in_business_register(
    session: AsyncSession, firm: Firm, *, abnormal: bool | None, violation: bool | None = False
) -> BusinessRecord:
    record = BusinessRecord(
        uscc=firm.uscc, name=firm.name, status="存续", abnormal_operation=abnormal, serious_violation=violation,
        import_run_id=await import_run(session, "registration"), source_row=2,
    )  # fmt: skip
    session.add(record)
    await session.flush()
    return record


async def add_ip(
    session: AsyncSession,
    firm: Firm,
    number: str,
    ip_class: int | None,
    valid_from: date | None,
    valid_to: date | None,
) -> None:
    session.add(
        IpRecord(
            number=f"{firm.uscc}-{number}", ip_type="发明专利" if ip_class == 1 else "实用新型", ip_class=ip_class,
            owner_uscc=firm.uscc, valid_from=valid_from, valid_to=valid_to,
            import_run_id=await import_run(session, "ip"), source_row=2,
        )
    )  # fmt: skip
    await session.flush()


async def seedling_status(client: httpx.AsyncClient, headers: dict[str, str], firm: Firm) -> dict[str, Any]:
    response = await client.get(f"/api/firms/{firm.uscc}/status", headers=headers)
    assert response.status_code == 200, response.text
    return decision(response.json(), "seedling")


async def test_a_firm_the_register_lists_as_abnormal_fails_not_abnormal_whatever_it_declared(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    listed = await seedling_firm(session)  # declared: not abnormal, not blacklisted
    clean = await seedling_firm(session)
    city = await make_user(session, Role.city)
    assert (await seedling_status(client, city.headers, listed))["outcome"] == "eligible"
    await list_in_business_register(session, listed, abnormal=True)
    await list_in_business_register(session, clean, abnormal=False)
    seedling = await seedling_status(client, city.headers, listed)
    assert (seedling["outcome"], seedling["outcome_label"]) == ("ineligible", "不符合")
    abnormal = criterion(seedling["criteria"], "not_abnormal")
    assert (abnormal["outcome"], abnormal["outcome_label"]) == ("fail", "未达标")
    assert abnormal["facts"] == {"filing.abnormal_operation": True}
    assert criterion(seedling["criteria"], "not_blacklisted")["outcome"] == "pass"
    assert (await seedling_status(client, city.headers, clean))["outcome"] == "eligible"


async def test_a_missing_integrity_declaration_is_filled_from_the_register(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session, abnormal_operation=None, serious_violation=None)
    city = await make_user(session, Role.city)
    before = await seedling_status(client, city.headers, firm)
    assert before["outcome"] == "unknown"
    assert criterion(before["criteria"], "not_abnormal")["outcome"] == "unknown"
    await list_in_business_register(session, firm, abnormal=False, violation=None)
    after = await seedling_status(client, city.headers, firm)
    assert criterion(after["criteria"], "not_abnormal")["facts"] == {"filing.abnormal_operation": False}
    blacklist = criterion(after["criteria"], "not_blacklisted")  # neither source knows: still unknown
    assert (blacklist["outcome"], blacklist["facts"]) == ("unknown", {"filing.serious_violation": None})
    assert after["outcome"] == "unknown"


async def test_an_ip_register_with_fewer_class_i_records_caps_the_declared_count(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session, ip_class1=1, ip_class2=0)  # eligible on one declared class I record
    city = await make_user(session, Role.city)
    assert (await seedling_status(client, city.headers, firm))["outcome"] == "eligible"
    year_end = date(last_fiscal_year(), 12, 31)
    await add_ip(session, firm, "expired", 1, date(2015, 1, 1), year_end - timedelta(days=1))
    await add_ip(session, firm, "later", 1, year_end + timedelta(days=1), None)
    await add_ip(session, firm, "utility", 2, date(2022, 5, 1), None)
    seedling = await seedling_status(client, city.headers, firm)
    assert seedling["outcome"] == "ineligible"
    ip = criterion(seedling["criteria"], "ip")
    assert ip["outcome"] == "fail"
    # Class I capped from 1 declared to 0 in the register; class II: 0 declared stays under the register's 1.
    assert ip["facts"] == {"filing.ip_class1": 0.0, "filing.ip_class2": 0.0}


async def test_the_ip_register_is_counted_on_31_december_of_each_fiscal_year(session: AsyncSession) -> None:
    firm = await seedling_firm(session)
    bystander = await seedling_firm(session)
    lapsed = await seedling_firm(session)
    marks_only = await seedling_firm(session)
    last = last_fiscal_year()
    await add_ip(
        session, lapsed, "old", 1, date(2001, 1, 1), date(2011, 1, 1)
    )  # in the register, long lapsed
    await add_ip(session, firm, "a", 1, None, date(last - 1, 12, 31))  # valid through the end of last - 1
    await add_ip(session, firm, "b", 1, date(last, 12, 31), None)  # valid from the last day of last
    await add_ip(session, firm, "c", 2, date(last - 2, 6, 1), date(last, 1, 1))  # ends inside last
    await add_ip(session, firm, "d", None, None, None)  # a trademark: not counted
    await add_ip(session, marks_only, "tm", None, None, None)  # only trademarks: not covered
    ids = [firm.id, bystander.id, lapsed.id, marks_only.id]
    raw = await load_raw(session, ids, YEAR)  # type: ignore[arg-type]
    counts = {
        (int(r.firm_id), int(r.fiscal_year)): (int(r.ip1), int(r.ip2)) for r in raw.ip.itertuples(index=False)
    }
    assert counts == {
        (firm.id, last): (1, 0),
        (firm.id, last - 1): (1, 1),
        (firm.id, last - 2): (1, 1),
        (firm.id, last - 3): (1, 0),
        **{(lapsed.id, year): (0, 0) for year in range(last - 3, last + 1)},  # covered, nothing valid: zero
    }  # the bystander (no record) and marks_only (trademarks only) are not covered: declarations stand
    assert raw.business.empty


async def test_a_register_change_is_an_input_change_and_gives_a_new_decision(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await seedling_firm(session)
    other = await seedling_firm(session)
    city = await make_user(session, Role.city)
    first = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    assert (first.evaluated, first.programs["seedling"]["eligible"]) == (2, 2)
    stored = (await seedling_status(client, city.headers, firm))["stored"]
    assert (stored["outcome"], stored["same_inputs"]) == ("eligible", True)

    await list_in_business_register(session, firm, abnormal=True)
    live = await seedling_status(client, city.headers, firm)
    assert live["outcome"] == "ineligible"
    assert (live["stored"]["outcome"], live["stored"]["same_inputs"]) == ("eligible", False)

    again = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    assert (again.evaluated, again.unchanged) == (1, 1)
    assert again.programs["seedling"] == {"eligible": 1, "ineligible": 1, "unknown": 0}
    connection = await session.connection()
    history = (
        await connection.execute(
            text(
                "SELECT e.outcome, e.criteria ->> 'not_abnormal', s.facts FROM evaluation e "
                "JOIN fact_snapshot s USING (snapshot_hash) WHERE e.firm_id = :f ORDER BY e.created_at, e.id"
            ),
            {"f": firm.id},
        )
    ).all()
    assert [(outcome, check) for outcome, check, _ in history] == [
        ("eligible", "pass"),
        ("ineligible", "fail"),
    ]
    snapshot = next(iter(history[1][2].values()))
    assert snapshot["filing.abnormal_operation"] is True  # the stored decision is reproducible from its facts
    others = await connection.execute(
        text("SELECT count(*) FROM evaluation WHERE firm_id = :f"), {"f": other.id}
    )
    assert others.scalar_one() == 1
    third = await service.evaluate_year(session, OPERATOR, year=YEAR, programs=["seedling"])
    assert (third.evaluated, third.unchanged) == (0, 2)


async def test_a_what_if_keeps_the_registers(client: httpx.AsyncClient, session: AsyncSession) -> None:
    firm = await seedling_firm(session, revenue_yuan=76_500)
    await list_in_business_register(session, firm, abnormal=True)
    user = await make_user(session, Role.enterprise, firm=firm)
    body = {
        "uscc": firm.uscc, "year": YEAR, "programs": ["seedling"],
        "filings": {str(last_fiscal_year()): {"revenue_yuan": 500_000, "abnormal_operation": False}},
    }  # fmt: skip
    response = await client.post("/api/what-if", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    [seedling] = response.json()
    assert criterion(seedling["criteria"], "revenue")["outcome"] == "pass"
    abnormal = criterion(seedling["criteria"], "not_abnormal")
    assert (abnormal["outcome"], abnormal["facts"]) == ("fail", {"filing.abnormal_operation": True})
    assert seedling["outcome"] == "ineligible"
