"""The awards page: who may open it, what it shows, and its forms moving awards through the services."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Award
from tests.backend.awards.support import sql
from tests.backend.lists.helpers import make_award
from tests.backend.pages_support import browse_as, form_token
from tests.factories.firms import make_firm
from tests.factories.users import make_user
from vocabulary.states import AwardState, Role

YEAR = 2032  # a year no other award test fills
PROGRAM = "hte_city_re"


async def state_of(session: AsyncSession, award: Award) -> str:
    result = await sql(session, "SELECT state FROM award WHERE id = :id", {"id": award.id})
    return str(result.scalar_one())


async def reviewed_award(session: AsyncSession, name: str = "天津页面测试科技有限公司") -> Award:
    firm = await make_firm(session, "jinghai", name=name)
    return await make_award(
        session, firm, 120_000, state=AwardState.district_reviewed, program=PROGRAM, year=YEAR
    )


async def test_an_enterprise_is_refused_the_awards_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    browse_as(client, await make_user(session, Role.enterprise, firm=firm))
    answer = await client.get("/awards")
    assert answer.status_code == 403
    assert "无权访问" in answer.text
    assert "当前角色无权查看奖励汇总" in answer.text


async def test_a_form_without_its_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    award = await reviewed_award(session)
    browse_as(client, await make_user(session, Role.finance))
    answer = await client.post("/awards/approve", data={"award_id": str(award.id)})
    assert answer.status_code == 403
    assert "页面已过期" in answer.text
    assert await state_of(session, award) == AwardState.district_reviewed


async def test_finance_sees_awards_with_their_firms_and_totals(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await reviewed_award(session, "天津看得见科技有限公司")
    browse_as(client, await make_user(session, Role.finance))
    answer = await client.get("/awards", params={"year": YEAR, "program": PROGRAM})
    assert answer.status_code == 200
    page = answer.text
    assert "天津看得见科技有限公司" in page
    assert "静海区科技局" in page
    assert "12.00 万元" in page  # the amount and the 区级已审核 total
    assert "各项目合计" in page
    assert "审核通过" in page
    assert "导出拨付清单" in page
    assert "区级审核</button>" not in page  # finance does not review for the district


async def test_approving_ticked_awards_redirects_with_a_flash(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    award, other = await reviewed_award(session), await reviewed_award(session, "天津未勾选科技有限公司")
    token = browse_as(client, await make_user(session, Role.finance))
    answer = await client.post(
        "/awards/approve",
        data={"csrf_token": token, "scope": "checked", "award_id": str(award.id),
              "shown_id": [str(award.id), str(other.id)], "year": str(YEAR), "program": PROGRAM,
              "state": "district_reviewed"},
    )  # fmt: skip
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(f"/awards?year={YEAR}&program={PROGRAM}&state=district_reviewed")
    assert await state_of(session, award) == AwardState.approved
    assert await state_of(session, other) == AwardState.district_reviewed  # not ticked
    shown = await client.get(location)
    assert "已审核通过 1 项奖励" in shown.text


async def test_all_shown_marks_every_listed_award(client: httpx.AsyncClient, session: AsyncSession) -> None:
    awards = [await reviewed_award(session, f"天津全选科技有限公司{i}") for i in range(3)]
    token = browse_as(client, await make_user(session, Role.city))
    answer = await client.post(
        "/awards/approve",
        data={
            "csrf_token": token,
            "scope": "shown",
            "shown_id": [str(a.id) for a in awards],
            "year": str(YEAR),
        },
    )
    assert answer.status_code == 303
    assert [await state_of(session, a) for a in awards] == [AwardState.approved] * 3


async def test_the_services_refusals_show_as_error_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    award = await reviewed_award(session)
    finance = browse_as(client, await make_user(session, Role.finance))
    no_reason = await client.post(
        "/awards/reject", data={"csrf_token": finance, "award_id": str(award.id), "reject_reason": " "}
    )
    assert no_reason.status_code == 422
    assert "请填写原因" in no_reason.text
    not_exported = await client.post(
        "/awards/mark-paid",
        data={
            "csrf_token": finance,
            "award_id": str(award.id),
            "paid_on": "2032-06-01",
            "payment_ref": "ZF-1",
        },
    )
    assert not_exported.status_code == 409
    assert "尚未列入拨付清单" in not_exported.text
    nothing_ticked = await client.post("/awards/approve", data={"csrf_token": finance, "scope": "checked"})
    assert nothing_ticked.status_code == 422
    assert "请至少勾选一项奖励" in nothing_ticked.text
    assert await state_of(session, award) == AwardState.district_reviewed


async def test_rejecting_with_a_reason_and_paying_an_exported_award(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    rejected = await reviewed_award(session)
    firm = await make_firm(session, "jinghai")
    exported = await make_award(session, firm, 50_000, state=AwardState.exported, program=PROGRAM, year=YEAR)
    token = browse_as(client, await make_user(session, Role.finance))
    answer = await client.post(
        "/awards/reject",
        data={"csrf_token": token, "award_id": str(rejected.id), "reject_reason": "材料不实"},
    )
    assert answer.status_code == 303
    assert await state_of(session, rejected) == AwardState.rejected
    page = await client.get("/awards", params={"year": YEAR, "state": "exported"})
    assert "标记已拨付" in page.text
    paid = await client.post(
        "/awards/mark-paid",
        data={"csrf_token": form_token(page.text), "award_id": str(exported.id), "paid_on": "2032-06-01",
              "payment_ref": "ZF-2032-0001", "year": str(YEAR), "state": "exported"},
    )  # fmt: skip
    assert paid.status_code == 303
    assert await state_of(session, exported) == AwardState.paid
    listed = await client.get(paid.headers["location"].replace("state=exported", "state=paid"))
    assert "已登记拨付 1 项奖励" in listed.text
    assert "ZF-2032-0001" in listed.text
