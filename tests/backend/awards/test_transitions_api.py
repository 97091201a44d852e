"""Review, approval, export, payment, rejection and correction: the happy path and every refusal."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.awards import service as award_service
from backend.awards.errors import NotApproved
from backend.models import ExportRun, Firm
from tests.backend.awards.support import (
    CITY_FIRST,
    LOAN,
    YEAR,
    awards_of,
    compute,
    decide,
    error,
    snapshot,
    sql,
)
from tests.factories.firms import OPERATOR, make_firm
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role


async def computed(
    client: httpx.AsyncClient, session: AsyncSession, *firms: Firm, amount_yuan: int = 100_000
) -> list[int]:
    """One computed award per firm; their ids."""
    for firm in firms:
        await decide(session, firm, CITY_FIRST, amount_yuan=amount_yuan)
    city = await make_user(session, Role.city)
    assert (await compute(client, city.headers)).json()["created"] == len(firms)
    return [(await awards_of(session, firm))[-1]["id"] for firm in firms]


async def post(
    client: httpx.AsyncClient, user: LoggedIn, step: str, ids: list[int], **body: Any
) -> httpx.Response:
    return await client.post(f"/api/awards/{step}", json={"award_ids": ids, **body}, headers=user.headers)


async def exported(session: AsyncSession, ids: list[int]) -> int:
    run = ExportRun(kind="disbursement", scope_key=f"{YEAR}", file_format="xlsx", file_name="拨付清单.xlsx",
                    final=True, row_count=len(ids), rows_sha256="0" * 64, file_sha256="0" * 64, actor_label="test")  # fmt: skip
    session.add(run)
    await session.flush()
    assert run.id is not None
    await award_service.mark_exported(session, OPERATOR, ids, run.id)
    await session.flush()
    return run.id


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, LoggedIn]:
    return {
        "bureau": await make_user(session, Role.bureau, bureau_code="jinghai"),
        "other_bureau": await make_user(session, Role.bureau, bureau_code="heping"),
        "finance": await make_user(session, Role.finance),
        "city": await make_user(session, Role.city),
    }


async def test_happy_path_from_computed_to_paid(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    firm = await make_firm(session, "jinghai")
    ids = await computed(client, session, firm)
    assert (await post(client, people["bureau"], "district-review", ids)).json()["awards"][0]["state"] == (
        "district_reviewed"
    )
    approved = await post(client, people["finance"], "approve", ids)
    assert approved.status_code == 200, approved.text
    assert approved.json()["warnings"] == []
    run_id = await exported(session, ids)
    paid = await post(
        client, people["finance"], "mark-paid", ids, paid_on="2026-11-30", payment_ref="ZF2026-001"
    )
    assert paid.status_code == 200, paid.text
    [award] = await awards_of(session, firm)
    assert (award["state"], award["export_run_id"], str(award["paid_on"]), award["payment_ref"]) == (
        "paid", run_id, "2026-11-30", "ZF2026-001",
    )  # fmt: skip
    detail = (await client.get(f"/api/awards/{ids[0]}", headers=people["finance"].headers)).json()
    assert [e["to_state"] for e in detail["events"]] == [
        "computed",
        "district_reviewed",
        "approved",
        "exported",
        "paid",
    ]
    audited = await sql(session, "SELECT action FROM audit_log WHERE entity = 'award' AND entity_id = :id ORDER BY id",
                        {"id": str(ids[0])})  # fmt: skip
    assert [a for (a,) in audited] == ["award.district_review", "award.approve", "award.export", "award.pay"]


async def test_refusals_name_the_award_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    first, second = await computed(client, session, await make_firm(session), await make_firm(session))
    finance, bureau = people["finance"], people["bureau"]

    async def refused(call: Awaitable[httpx.Response], status: int, code: str) -> str:
        before = await snapshot(session)
        detail = error(await call, status, code)
        assert await snapshot(session) == before  # no award, event or audit row changed
        return detail

    def pay(ids: list[int], **body: Any) -> Awaitable[httpx.Response]:
        return post(client, finance, "mark-paid", ids, **body)

    # Skipping a state: a computed award cannot be approved.
    detail = await refused(post(client, finance, "approve", [first]), 409, "award.transition_invalid")
    assert detail == f"只有「区级已审核」的奖励可以批准：#{first}「已计算」"
    # All or nothing: one bad id in the list and the good one is not reviewed either.
    assert (await post(client, bureau, "district-review", [second])).is_success
    detail = await refused(
        post(client, bureau, "district-review", [first, second]), 409, "award.transition_invalid"
    )
    assert detail == f"只有「已计算」的奖励可以区级审核：#{second}「区级已审核」"
    detail = await refused(post(client, bureau, "district-review", [first, 999_999]), 404, "award.not_found")
    assert detail == "奖励 #999999 不存在，或不在您的数据范围内"
    # Approving twice.
    assert (await post(client, finance, "approve", [second])).is_success
    detail = await refused(post(client, finance, "approve", [second]), 409, "award.already_approved")
    assert detail == f"奖励 #{second} 已批准，不能重复批准"
    # Paying what was never exported.
    detail = await refused(pay([second], paid_on="2026-12-01", payment_ref="ZF-1"), 409, "award.not_exported")
    assert detail == f"奖励尚未列入拨付清单，不能登记拨付：#{second}「已批准」"
    # Paying twice.
    await exported(session, [second])
    assert (await pay([second], paid_on="2026-12-01", payment_ref="ZF-1")).is_success
    detail = await refused(pay([second], paid_on="2026-12-02", payment_ref="ZF-2"), 409, "award.already_paid")
    assert detail == f"奖励 #{second} 已登记拨付，不能重复拨付"
    # Paying without a date or a reference.
    detail = await refused(pay([second], payment_ref="ZF-3"), 422, "award.payment_incomplete")
    assert detail == "请填写拨付日期"
    detail = await refused(pay([second], paid_on="2026-12-02"), 422, "award.payment_incomplete")
    assert detail == "请填写支付凭证号"
    # Rejecting without a reason.
    detail = await refused(post(client, bureau, "reject", [first], reason="  "), 422, "award.reason_required")
    assert detail == "请填写原因"
    detail = await refused(post(client, bureau, "reject", [first]), 422, "award.reason_required")
    # Another bureau's award is not there for this bureau; finance cannot review; a bureau cannot approve.
    detail = await refused(
        post(client, people["other_bureau"], "district-review", [first]), 404, "award.not_found"
    )
    assert detail == f"奖励 #{first} 不存在，或不在您的数据范围内"
    detail = await refused(post(client, finance, "district-review", [first]), 403, "award.forbidden")
    assert detail == "当前角色无权区级审核奖励"
    detail = await refused(post(client, bureau, "approve", [first]), 403, "award.forbidden")
    assert detail == "当前角色无权批准奖励"
    detail = await refused(pay([second], paid_on="2026-12-02", payment_ref="ZF-2"), 409, "award.already_paid")
    [first_award] = await awards_of(session, await _firm(session, first))
    assert first_award["state"] == "computed"


async def _firm(session: AsyncSession, award_id: int) -> Firm:
    firm_id = (await sql(session, "SELECT firm_id FROM award WHERE id = :id", {"id": award_id})).scalar_one()
    firm = await session.get(Firm, firm_id)
    assert firm is not None
    return firm


async def test_mark_exported_refuses_awards_not_approved(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    [award_id] = await computed(client, session, await make_firm(session))
    before = await snapshot(session)
    with pytest.raises(NotApproved) as raised:
        await exported(session, [award_id])
    assert raised.value.code == "award.not_approved"
    assert raised.value.detail == f"奖励未经批准，不能列入拨付清单：#{award_id}「已计算」"
    assert (await snapshot(session))[0] == before[0]


async def test_reject_with_reason(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    firm = await make_firm(session, "jinghai")
    ids = await computed(client, session, firm)
    response = await post(client, people["bureau"], "reject", ids, reason="申报材料与事实不符")
    assert response.status_code == 200, response.text
    detail = (await client.get(f"/api/awards/{ids[0]}", headers=people["bureau"].headers)).json()
    assert (detail["state"], detail["events"][-1]["reason"]) == ("rejected", "申报材料与事实不符")
    error(await post(client, people["city"], "approve", ids), 409, "award.transition_invalid")


async def test_enterprise_and_bureau_see_only_their_awards(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    own, other = await make_firm(session, "jinghai"), await make_firm(session, "heping")
    own_id, other_id = await computed(client, session, own, other)
    enterprise = await make_user(session, Role.enterprise, firm=own)
    for user, visible in ((enterprise, [own_id]), (people["bureau"], [own_id]), (people["other_bureau"], [other_id]),
                          (people["finance"], [own_id, other_id])):  # fmt: skip
        listed = (await client.get(f"/api/awards?year={YEAR}", headers=user.headers)).json()
        assert sorted(a["id"] for a in listed["items"]) == sorted(visible)
        assert listed["total"] == len(visible)
    error(await client.get(f"/api/awards/{other_id}", headers=enterprise.headers), 404, "award.not_found")
    error(await post(client, enterprise, "district-review", [own_id]), 403, "award.forbidden")
    error(
        await client.get(f"/api/awards/summary?year={YEAR}", headers=enterprise.headers),
        403,
        "award.forbidden",
    )


async def test_correct_an_unpaid_award_and_refuse_a_paid_one(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    firm, paid_firm = await make_firm(session), await make_firm(session)
    award_id, paid_id = await computed(client, session, firm, paid_firm)
    finance = people["finance"]
    for step in ("district-review", "approve"):
        await post(client, people["city"], step, [award_id, paid_id])
    response = await client.post(f"/api/awards/{award_id}/correct", json={"amount_yuan": 60_000, "reason": "核减"},
                                 headers=finance.headers)  # fmt: skip
    assert response.status_code == 201, response.text
    new = response.json()
    assert (new["state"], new["amount_yuan"], new["corrects_id"]) == ("computed", 60_000, award_id)
    old, _ = await awards_of(session, firm)
    assert old["state"] == "superseded"
    await exported(session, [paid_id])
    await post(client, finance, "mark-paid", [paid_id], paid_on="2026-12-01", payment_ref="ZF-9")
    before = await snapshot(session)
    detail = error(await client.post(f"/api/awards/{paid_id}/correct", json={"amount_yuan": 1, "reason": "多付"},
                                     headers=finance.headers), 409, "award.paid_not_correctable")  # fmt: skip
    assert detail == f"奖励 #{paid_id} 已拨付，不能在此更正；补发或追回差额请另行办理"
    assert await snapshot(session) == before
    detail = error(await client.post(f"/api/awards/{award_id}/correct", json={"amount_yuan": 1},
                                     headers=finance.headers), 422, "award.reason_required")  # fmt: skip


async def test_database_refuses_a_second_once_per_firm_award(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    await decide(session, firm, LOAN, YEAR - 1, amount_yuan=50_000)
    city = await make_user(session, Role.city)
    assert (await compute(client, city.headers, YEAR - 1, LOAN)).json()["created"] == 1
    insert = ("INSERT INTO award (firm_id, program, year, amount_yuan, state, bureau_code, once_per_firm, created_at, "
              "updated_at) VALUES (:firm, :program, :year, 50000, 'computed', 'jinghai', true, now(), now())")  # fmt: skip
    with pytest.raises(IntegrityError, match="uq_award_once_per_firm"):
        async with session.begin_nested():
            await sql(session, insert, {"firm": firm.id, "program": LOAN, "year": YEAR})


async def test_approval_beyond_the_budget_warns_and_still_approves(
    client: httpx.AsyncClient, session: AsyncSession, people: dict[str, LoggedIn]
) -> None:
    ids = await computed(client, session, await make_firm(session), await make_firm(session))
    finance = people["finance"]
    response = await client.put(f"/api/awards/budgets/{CITY_FIRST}/{YEAR}", json={"amount_yuan": 150_000,
                                "note": "2026年预算"}, headers=finance.headers)  # fmt: skip
    assert response.status_code == 200, response.text
    await post(client, people["city"], "district-review", ids)
    first = await post(client, finance, "approve", ids[:1])
    assert first.json()["warnings"] == []
    second = await post(client, finance, "approve", ids[1:])
    assert second.status_code == 200
    assert second.json()["warnings"] == [
        f"天津市高新技术企业首次认定奖励（市级） {YEAR} 年度已批准金额合计 200,000 元，超出预算 150,000 元（超出 50,000 元）"
    ]
    assert second.json()["awards"][0]["state"] == "approved"
    summary = (await client.get(f"/api/awards/summary?year={YEAR}", headers=finance.headers)).json()
    [program] = [p for p in summary["programs"] if p["program"] == CITY_FIRST]
    assert (program["budget_yuan"], program["committed_yuan"], program["remaining_yuan"]) == (
        150_000,
        200_000,
        -50_000,
    )
    assert program["by_state"]["approved"] == {"count": 2, "amount_yuan": 200_000}
    error(await client.put(f"/api/awards/budgets/{CITY_FIRST}/{YEAR}", json={"amount_yuan": 1},
                           headers=people["bureau"].headers), 403, "award.forbidden")  # fmt: skip
