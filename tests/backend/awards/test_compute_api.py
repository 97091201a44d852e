"""Computing awards from evaluations through the API: what makes an award, what never does, reruns."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.awards import repository as award_repository
from tests.backend.awards.support import (
    CITY_FIRST,
    LOAN,
    YEAR,
    awards_of,
    compute,
    count,
    decide,
    error,
    snapshot,
    sql,
)
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import Role


async def test_eligible_decision_becomes_an_award_with_its_amount(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    firm = await make_firm(session, "jinghai")
    evaluation = await decide(session, firm, CITY_FIRST, amount_yuan=100_000)
    response = await compute(client, city.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("created", "unchanged", "corrected", "excluded", "once_per_firm_skipped")} == {
        "created": 1, "unchanged": 0, "corrected": 0, "excluded": 0, "once_per_firm_skipped": 0,
    }  # fmt: skip
    assert body["conflicts"] == []
    [award] = await awards_of(session, firm)
    assert (award["amount_yuan"], award["state"], award["evaluation_id"], award["bureau_code"]) == (
        100_000, "computed", evaluation.id, "jinghai",
    )  # fmt: skip
    assert award["ruleset_hash"] == evaluation.ruleset_hash
    assert award["once_per_firm"] is False
    detail = (await client.get(f"/api/awards/{award['id']}", headers=city.headers)).json()
    assert [(e["from_state"], e["to_state"], e["reason"]) for e in detail["events"]] == [
        (None, "computed", "按评价结果计算")
    ]


async def test_unknown_ineligible_and_zero_amount_decisions_make_no_award(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    unknown, ineligible, zero = [await make_firm(session) for _ in range(3)]
    # An unknown decision carrying an amount must still not pay: fail closed.
    await decide(session, unknown, CITY_FIRST, outcome="unknown", amount_yuan=100_000)
    await decide(session, ineligible, CITY_FIRST, outcome="ineligible", amount_yuan=100_000)
    await decide(session, zero, CITY_FIRST, amount_yuan=0)
    body = (await compute(client, city.headers)).json()
    assert body["created"] == 0
    assert await count(session, "award") == 0


async def test_excluded_firm_gets_no_award_and_is_counted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    firm, other = await make_firm(session), await make_firm(session)
    await decide(session, firm, CITY_FIRST)
    await decide(session, other, CITY_FIRST)
    exclusion = {
        "uscc": firm.uscc,
        "from_year": YEAR - 1,
        "to_year": YEAR,
        "reason": "科研严重失信，三年内不予奖励",
    }
    response = await client.post("/api/awards/exclusions", json=exclusion, headers=city.headers)
    assert response.status_code == 201, response.text
    body = (await compute(client, city.headers)).json()
    assert (body["created"], body["excluded"]) == (1, 1)
    assert await awards_of(session, firm) == []
    assert len(await awards_of(session, other)) == 1


async def test_exclusion_needs_a_reason_and_the_city(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city, finance = await make_user(session, Role.city), await make_user(session, Role.finance)
    firm = await make_firm(session)
    body = {"uscc": firm.uscc, "from_year": YEAR, "reason": "  "}
    detail = error(await client.post("/api/awards/exclusions", json=body, headers=city.headers), 422,
                   "award.reason_required")  # fmt: skip
    assert detail == "请填写原因"
    body["reason"] = "失信"
    error(
        await client.post("/api/awards/exclusions", json=body, headers=finance.headers),
        403,
        "award.forbidden",
    )
    assert await count(session, "award_exclusion") == 0


async def test_once_per_firm_program_pays_a_firm_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    firm = await make_firm(session)
    await decide(session, firm, LOAN, YEAR - 1, amount_yuan=50_000)
    assert (await compute(client, city.headers, YEAR - 1, LOAN)).json()["created"] == 1
    await decide(session, firm, LOAN, YEAR, amount_yuan=50_000)
    body = (await compute(client, city.headers, YEAR, LOAN)).json()
    assert (body["created"], body["once_per_firm_skipped"]) == (0, 1)
    [award] = await awards_of(session, firm)
    assert (award["year"], award["once_per_firm"]) == (YEAR - 1, True)


async def test_second_run_on_the_same_decisions_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    finance = await make_user(session, Role.finance)
    for _ in range(3):
        await decide(session, await make_firm(session), CITY_FIRST)
    assert (await compute(client, finance.headers, program=None)).json()["created"] == 3
    before = await snapshot(session)
    body = (await compute(client, finance.headers, program=None)).json()
    assert (body["created"], body["unchanged"], body["corrected"]) == (0, 3, 0)
    assert await snapshot(session) == before


async def test_new_amount_while_computed_makes_a_correction_chain(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    firm = await make_firm(session)
    await decide(session, firm, CITY_FIRST, amount_yuan=100_000)
    await compute(client, city.headers)
    second = await decide(session, firm, CITY_FIRST, amount_yuan=80_000)
    body = (await compute(client, city.headers)).json()
    assert (body["created"], body["corrected"]) == (0, 1)
    old, new = await awards_of(session, firm)
    reason = "重新计算：金额由 100000 元变为 80000 元"
    assert (old["state"], old["amount_yuan"]) == ("superseded", 100_000)
    assert (new["state"], new["amount_yuan"], new["corrects_id"], new["reason"]) == (
        "computed",
        80_000,
        old["id"],
        reason,
    )
    assert new["evaluation_id"] == second.id
    detail = (await client.get(f"/api/awards/{new['id']}", headers=city.headers)).json()
    assert [a["id"] for a in detail["chain"]] == [old["id"], new["id"]]
    assert detail["events"][0]["reason"] == reason
    older = (await client.get(f"/api/awards/{old['id']}", headers=city.headers)).json()
    assert [(e["from_state"], e["to_state"], e["reason"]) for e in older["events"]][-1] == (
        "computed", "superseded", reason,
    )  # fmt: skip
    listed = (await client.get(f"/api/awards?year={YEAR}", headers=city.headers)).json()
    assert [a["id"] for a in listed["items"]] == [new["id"]]  # superseded rows are history, not the list


async def test_new_amount_after_approval_is_a_conflict_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    city = await make_user(session, Role.city)
    firm = await make_firm(session)
    await decide(session, firm, CITY_FIRST, amount_yuan=100_000)
    await compute(client, city.headers)
    [award] = await awards_of(session, firm)
    for step in ("district-review", "approve"):
        response = await client.post(
            f"/api/awards/{step}", json={"award_ids": [award["id"]]}, headers=city.headers
        )
        assert response.status_code == 200, response.text
    await decide(session, firm, CITY_FIRST, amount_yuan=120_000)
    before = await snapshot(session)
    body = (await compute(client, city.headers)).json()
    assert (body["created"], body["corrected"], body["unchanged"]) == (0, 0, 0)
    assert body["conflicts"] == [
        {"award_id": award["id"], "uscc": firm.uscc, "firm_name": firm.name, "program": CITY_FIRST, "year": YEAR,
         "state": "approved", "amount_yuan": 100_000, "computed_amount_yuan": 120_000},
    ]  # fmt: skip
    assert await snapshot(session) == before


async def test_compute_is_for_money_roles_and_award_programs(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    city = await make_user(session, Role.city)
    assert error(await compute(client, bureau.headers), 403, "award.forbidden") == "当前角色无权计算奖励"
    detail = error(await compute(client, city.headers, program="seedling"), 422, "award.invalid")
    assert "「seedling」不是奖励项目" in detail


async def test_exclusions_are_listed_and_lifted(client: httpx.AsyncClient, session: AsyncSession) -> None:
    admin = await make_user(session, Role.admin)
    firm = await make_firm(session)
    body = {"uscc": firm.uscc, "program": LOAN, "from_year": YEAR, "reason": "已享受同类奖励"}
    created = (await client.post("/api/awards/exclusions", json=body, headers=admin.headers)).json()
    listed = (await client.get("/api/awards/exclusions", headers=admin.headers)).json()
    assert [(e["id"], e["uscc"], e["program"], e["to_year"], e["reason"]) for e in listed] == [
        (created["id"], firm.uscc, LOAN, None, "已享受同类奖励")
    ]
    path = f"/api/awards/exclusions/{created['id']}"
    assert (await client.delete(path, headers=admin.headers)).status_code == 204
    assert (await client.get("/api/awards/exclusions", headers=admin.headers)).json() == []
    assert error(await client.delete(path, headers=admin.headers), 404, "award.exclusion_not_found") == (
        f"奖励排除 #{created['id']} 不存在"
    )
    actions = await sql(session, "SELECT action FROM audit_log WHERE entity = 'award_exclusion' ORDER BY id")
    assert [a for (a,) in actions] == ["award.exclude", "award.unexclude"]
    bad = body | {"program": "seedling"}
    assert "「seedling」不是奖励项目" in error(
        await client.post("/api/awards/exclusions", json=bad, headers=admin.headers), 422, "award.invalid"
    )


async def test_award_reviewed_during_a_computation_fails_it_cleanly(
    client: httpx.AsyncClient, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    city = await make_user(session, Role.city)
    firm = await make_firm(session)
    await decide(session, firm, CITY_FIRST, amount_yuan=100_000)
    await compute(client, city.headers)
    [award] = await awards_of(session, firm)
    await client.post("/api/awards/district-review", json={"award_ids": [award["id"]]}, headers=city.headers)
    await decide(session, firm, CITY_FIRST, amount_yuan=90_000)
    # As if the award had still been `computed` when the run classified it, and was reviewed just after.
    raced = (
        "UPDATE award_candidate SET verdict = CASE WHEN live_id IS NULL THEN 'create' ELSE 'corrected' END"
    )
    monkeypatch.setattr(award_repository, "_VERDICTS", raced)
    before = await snapshot(session)
    detail = error(await compute(client, city.headers), 409, "award.compute_raced")
    assert detail == "计算期间有奖励被审核或更正，本次计算未写入任何数据，请重新计算"
    assert await snapshot(session) == before
