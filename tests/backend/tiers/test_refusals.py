"""Every refused step: status, code, Chinese detail — and the database exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Firm, TierStatus
from tests.backend.tiers.support import (
    YEAR,
    database_state,
    eligible,
    new_batch,
    notice_window,
    ok,
    post,
    states,
    status_ids,
)
from tests.factories.firms import make_firm
from tests.factories.tiers import make_decision
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role


@dataclass
class Setup:
    city: LoggedIn
    jinghai: LoggedIn
    heping: LoggedIn
    batch: dict[str, Any]
    own: int  # a jinghai candidate
    other: int  # a heping candidate
    firms: list[Firm]


@pytest.fixture
async def setup(client: httpx.AsyncClient, session: AsyncSession) -> Setup:
    own, other = await eligible(session, "jinghai"), await eligible(session, "heping")
    city = await make_user(session, Role.city)
    batch = await new_batch(client, city)
    await ok(await post(client, city, f"/batches/{batch['id']}/nominate"))
    own_id, other_id = await status_ids(session, own, other)
    return Setup(
        city=city,
        jinghai=await make_user(session, Role.bureau, bureau_code="jinghai"),
        heping=await make_user(session, Role.bureau, bureau_code="heping"),
        batch=batch, own=own_id, other=other_id, firms=[own, other],
    )  # fmt: skip


async def firm_ids_with_status(session: AsyncSession) -> list[int]:
    return list((await session.exec(select(TierStatus.firm_id))).all())


async def refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    user: LoggedIn,
    path: str,
    body: Any,
    status: int,
    code: str,
) -> str:
    """POST, expect the error, check nothing changed; return the detail."""
    before = await database_state(session)
    response = await post(client, user, path, body)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["code"] == code
    assert await database_state(session) == before
    detail: str = error["detail"]
    return detail


async def in_notice(
    client: httpx.AsyncClient, s: Setup, *ids: int, window: dict[str, str] | None = None
) -> None:
    """Take ``ids`` through both reviews and start the batch's 公示."""
    await ok(await post(client, s.city, "/district-review", {"status_ids": list(ids), "decision": "approve"}))
    await ok(await post(client, s.city, "/city-review", {"status_ids": list(ids), "decision": "approve"}))
    await ok(
        await post(
            client, s.city, f"/batches/{s.batch['id']}/notice", notice_window() if window is None else window
        )
    )


async def test_a_skipped_state_is_refused_and_named(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    detail = await refused(
        client, session, setup.city, "/city-review", {"status_ids": [setup.own], "decision": "approve"},
        409, "tier.transition_invalid",
    )  # fmt: skip
    assert (
        detail == f"梯度记录 #{setup.own}（{setup.firms[0].name}）当前状态为“候选”，不能变更为“市级审核通过”"
    )


async def test_approving_twice_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    body = {"status_ids": [setup.own], "decision": "approve"}
    await ok(await post(client, setup.jinghai, "/district-review", body))
    detail = await refused(
        client, session, setup.jinghai, "/district-review", body, 409, "tier.transition_invalid"
    )
    assert "当前状态为“区审查通过”，不能变更为“区审查通过”" in detail


async def test_reject_without_reason_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    for reason in (None, "   "):
        body = {"status_ids": [setup.own], "decision": "reject", "reason": reason}
        detail = await refused(
            client, session, setup.jinghai, "/district-review", body, 422, "validation_error"
        )
        assert detail == "驳回须填写理由"


async def test_reject_with_reason_records_it(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    body = {"status_ids": [setup.own], "decision": "reject", "reason": "申报材料与实际经营不符"}
    (rejected,) = await ok(await post(client, setup.jinghai, "/district-review", body))
    assert rejected["state"] == "rejected"
    history = await ok(
        await client.get(f"/api/firms/{setup.firms[0].uscc}/tiers", headers=setup.jinghai.headers)
    )
    assert history[0]["transitions"][-1]["reason"] == "区审查未通过：申报材料与实际经营不符"


async def test_a_bureau_cannot_review_another_bureaus_firm(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    # All or nothing: its own record is not approved either.
    body = {"status_ids": [setup.own, setup.other], "decision": "approve"}
    detail = await refused(
        client, session, setup.jinghai, "/district-review", body, 404, "tier.status_not_found"
    )
    assert detail == f"未找到梯度记录 #{setup.other}"


async def test_bulk_review_changes_nothing_when_one_record_is_in_the_wrong_state(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    await ok(
        await post(
            client, setup.heping, "/district-review", {"status_ids": [setup.other], "decision": "approve"}
        )
    )
    body = {"status_ids": [setup.own, setup.other], "decision": "approve"}
    detail = await refused(
        client, session, setup.city, "/district-review", body, 409, "tier.transition_invalid"
    )
    assert detail.startswith(f"梯度记录 #{setup.other}（")


async def test_only_city_staff_run_city_steps(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    finance = await make_user(session, Role.finance)
    enterprise = await make_user(session, Role.enterprise, firm=setup.firms[0])
    batch_path = f"/batches/{setup.batch['id']}"
    for user, path, body in [
        (setup.jinghai, "/batches", {"year": YEAR}),
        (finance, f"{batch_path}/nominate", None),
        (enterprise, "/city-review", {"status_ids": [setup.own], "decision": "approve"}),
        (setup.jinghai, f"{batch_path}/notice", None),
        (setup.jinghai, f"{batch_path}/admit", None),
        (setup.jinghai, "/reviews", {"year": YEAR + 1}),
        (enterprise, "/district-review", {"status_ids": [setup.own], "decision": "approve"}),
    ]:
        detail = await refused(client, session, user, path, body, 403, "forbidden")
        assert detail.startswith(("只有市科技局可以", "当前角色无权"))


async def test_leaders_need_an_on_site_check(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    leader = await make_firm(session, "jinghai")
    await make_decision(session, leader, "leader_candidate", YEAR, "eligible")
    batch = await new_batch(client, setup.city)
    nominated = await ok(await post(client, setup.city, f"/batches/{batch['id']}/nominate"))
    assert nominated["created"]["leader_candidate"] == 1
    (leader_id,) = await status_ids(session, leader, tier="leader_candidate")
    await ok(
        await post(
            client, setup.jinghai, "/district-review", {"status_ids": [leader_id], "decision": "approve"}
        )
    )
    body = {"status_ids": [leader_id], "decision": "approve", "reason": "材料齐全"}
    detail = await refused(client, session, setup.city, "/city-review", body, 422, "validation_error")
    assert detail == f"科技领军企业、科技领军培育企业须填写现场调查情况：#{leader_id}（{leader.name}）"


async def test_notice_needs_a_city_approved_member_and_an_ordered_window(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    path = f"/batches/{setup.batch['id']}/notice"
    detail = await refused(client, session, setup.city, path, None, 409, "tier.batch_without_approved")
    assert detail == f"{YEAR}年第1批没有市级审核通过的企业，不能开始公示"
    await ok(
        await post(client, setup.city, "/district-review", {"status_ids": [setup.own], "decision": "approve"})
    )
    await ok(
        await post(client, setup.city, "/city-review", {"status_ids": [setup.own], "decision": "approve"})
    )
    backwards = {"notice_from": "2026-03-10", "notice_to": "2026-03-01"}
    detail = await refused(client, session, setup.city, path, backwards, 422, "validation_error")
    assert detail == "公示结束日期不能早于开始日期 2026-03-10"


async def test_admit_before_the_notice_ends_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    await in_notice(client, setup, setup.own, window={})  # default window: today and 6 more days
    batch = await ok(await client.get(f"/api/tiers/batches/{setup.batch['id']}", headers=setup.city.headers))
    detail = await refused(
        client, session, setup.city, f"/batches/{setup.batch['id']}/admit", None, 409, "tier.notice_not_over"
    )
    assert detail == (
        f"{YEAR}年第1批公示期至 {batch['notice_to']} 结束，公告入库日期须晚于公示期（当前为 {batch['notice_from']}）"
    )
    late = {"announced_on": "2099-01-01"}
    detail = await refused(
        client, session, setup.city, f"/batches/{setup.batch['id']}/admit", late, 422, "validation_error"
    )
    assert detail == "公告入库日期不能晚于今天"


async def test_admit_with_a_pending_objection_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    await in_notice(client, setup, setup.own)
    body = {"submitted_by": "李某", "content": "研发人员数量不实"}
    objection = await ok(await post(client, setup.jinghai, f"/statuses/{setup.own}/objections", body), 201)
    detail = await refused(
        client,
        session,
        setup.city,
        f"/batches/{setup.batch['id']}/admit",
        None,
        409,
        "tier.objections_pending",
    )
    assert (
        detail
        == f"{YEAR}年第1批仍有未处理的异议：#{objection['id']}（{setup.firms[0].name}），处理后才能公告入库"
    )


async def test_objections_only_during_the_notice(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    body = {"submitted_by": "李某", "content": "研发人员数量不实"}
    detail = await refused(
        client, session, setup.city, f"/statuses/{setup.own}/objections", body, 409, "tier.not_in_notice"
    )
    assert (
        detail
        == f"梯度记录 #{setup.own}（{setup.firms[0].name}）不在公示期内，异议只能在所在批次公示期间登记和处理"
    )
    await in_notice(client, setup, setup.own)
    await ok(await post(client, setup.city, f"/batches/{setup.batch['id']}/admit"))
    await refused(
        client, session, setup.city, f"/statuses/{setup.own}/objections", body, 409, "tier.not_in_notice"
    )
    # Another bureau cannot object to a firm it does not see.
    await refused(
        client, session, setup.heping, f"/statuses/{setup.own}/objections", body, 404, "tier.status_not_found"
    )


async def test_an_objection_is_resolved_once(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    await in_notice(client, setup, setup.own)
    objection = await ok(
        await post(
            client,
            setup.city,
            f"/statuses/{setup.own}/objections",
            {"submitted_by": "王某", "content": "数据不实"},
        ),
        201,
    )
    path = f"/objections/{objection['id']}/resolve"
    await ok(await post(client, setup.city, path, {"outcome": "dismissed", "resolution": "核实无误"}))
    detail = await refused(
        client,
        session,
        setup.city,
        path,
        {"outcome": "upheld", "resolution": "再议"},
        409,
        "tier.objection_resolved",
    )
    assert detail == f"异议 #{objection['id']} 已处理（异议不成立），不能再次处理"
    assert (await states(session))[setup.own][0] == "public_notice"


async def test_nominating_twice_adds_nothing_and_unknown_never_becomes_a_candidate(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    unknown, ineligible = await make_firm(session, "jinghai"), await make_firm(session, "jinghai")
    await make_decision(session, unknown, "seedling", YEAR, "unknown")
    await make_decision(session, ineligible, "seedling", YEAR, "ineligible")
    await make_decision(
        session, await eligible(session, "jinghai", tier="gazelle"), "seedling", YEAR, "unknown"
    )
    before = await database_state(session)
    again = await ok(await post(client, setup.city, f"/batches/{setup.batch['id']}/nominate"))
    assert again["created"] == {"seedling": 0, "gazelle": 1, "leader_candidate": 0, "leader": 0}
    after = await database_state(session)
    assert len(after["statuses"]) == len(before["statuses"]) + 1
    again = await ok(await post(client, setup.city, f"/batches/{setup.batch['id']}/nominate"))
    assert again["created"] == dict.fromkeys(("seedling", "gazelle", "leader_candidate", "leader"), 0)
    assert await database_state(session) == after
    assert unknown.id not in set(await firm_ids_with_status(session))
    assert ineligible.id not in set(await firm_ids_with_status(session))


async def test_a_firm_admitted_to_a_higher_tier_is_not_nominated_for_a_lower_one(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    firm = await eligible(session, "jinghai", tier="gazelle", year=YEAR - 1)
    batch = await new_batch(client, setup.city, YEAR - 1)
    await ok(await post(client, setup.city, f"/batches/{batch['id']}/nominate"))
    (status_id,) = await status_ids(session, firm, tier="gazelle", year=YEAR - 1)
    await ok(
        await post(client, setup.city, "/district-review", {"status_ids": [status_id], "decision": "approve"})
    )
    await ok(
        await post(client, setup.city, "/city-review", {"status_ids": [status_id], "decision": "approve"})
    )
    await ok(await post(client, setup.city, f"/batches/{batch['id']}/notice", notice_window()))
    await ok(await post(client, setup.city, f"/batches/{batch['id']}/admit"))
    await make_decision(session, firm, "seedling", YEAR, "eligible")
    again = await ok(await post(client, setup.city, f"/batches/{setup.batch['id']}/nominate"))
    assert again["created"]["seedling"] == 0


async def test_candidates_left_out_of_a_notice_join_the_next_batch(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    await in_notice(client, setup, setup.own)
    assert (await states(session))[setup.other] == ("candidate", None, None)
    second = await new_batch(client, setup.city)
    assert second["label"] == f"{YEAR}年第2批"
    nominated = await ok(await post(client, setup.city, f"/batches/{second['id']}/nominate"))
    assert nominated["attached"] == {"seedling": 1}
    assert (await states(session))[setup.other] == ("candidate", second["id"], None)
    detail = await refused(
        client,
        session,
        setup.city,
        f"/batches/{setup.batch['id']}/nominate",
        None,
        409,
        "tier.batch_closed",
    )
    assert detail == f"{YEAR}年第1批当前为“公示中”，不能再列入候选企业"


async def test_unknown_ids_are_not_found(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    assert (await client.get("/api/tiers/batches/999999", headers=setup.city.headers)).json()[
        "code"
    ] == "tier.batch_not_found"
    await refused(client, session, setup.city, "/batches/999999/admit", None, 404, "tier.batch_not_found")
    body = {"outcome": "upheld", "resolution": "x"}
    await refused(
        client, session, setup.city, "/objections/999999/resolve", body, 404, "tier.objection_not_found"
    )


async def test_batch_steps_out_of_order_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    batch_path = f"/batches/{setup.batch['id']}"
    detail = await refused(
        client, session, setup.city, f"{batch_path}/admit", None, 409, "tier.transition_invalid"
    )
    assert detail == f"{YEAR}年第1批当前为“审核中”，不能变更为“已公告入库”"
    await in_notice(client, setup, setup.own)
    detail = await refused(
        client, session, setup.city, f"{batch_path}/notice", None, 409, "tier.transition_invalid"
    )
    assert detail == f"{YEAR}年第1批当前为“公示中”，不能变更为“公示中”"


async def test_city_rejection_needs_a_reason(
    client: httpx.AsyncClient, session: AsyncSession, setup: Setup
) -> None:
    await ok(
        await post(
            client, setup.jinghai, "/district-review", {"status_ids": [setup.own], "decision": "approve"}
        )
    )
    body: dict[str, Any] = {"status_ids": [setup.own], "decision": "reject"}
    detail = await refused(client, session, setup.city, "/city-review", body, 422, "validation_error")
    assert detail == "驳回须填写理由"
    (rejected,) = await ok(
        await post(client, setup.city, "/city-review", body | {"reason": "研发投入不达标"})
    )
    assert rejected["state"] == "rejected"
    # A rejected record is final for this year: no review moves it again.
    again = {"status_ids": [setup.own], "decision": "approve"}
    detail = await refused(
        client, session, setup.jinghai, "/district-review", again, 409, "tier.transition_invalid"
    )
    assert detail.endswith("当前状态为“未通过”，不能变更为“区审查通过”")
