"""The batch pages (市科技局) and the candidate review page (区科技局), driven as a browser would."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import Firm
from tests.backend.pages_support import browse_as
from tests.backend.tiers.support import YEAR, eligible, new_batch, notice_window, ok, post, states, status_ids
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role


async def _nominated(client: httpx.AsyncClient, city: LoggedIn) -> dict[str, Any]:
    batch = await new_batch(client, city)
    await ok(await post(client, city, f"/batches/{batch['id']}/nominate"))
    return batch


async def _follow(client: httpx.AsyncClient, answer: httpx.Response) -> httpx.Response:
    """The page a form's 303 leads to, as the browser shows it next."""
    assert answer.status_code == 303, answer.text
    return await client.get(answer.headers["location"])


def _row(html: str, firm: Firm) -> str:
    """The table row of ``firm`` (its cells and forms)."""
    found = re.search(rf"<tr id=\"status-\d+\">(?:(?!</tr>).)*?{re.escape(firm.name)}.*?</tr>", html, re.S)
    assert found is not None, f"{firm.name} not listed"
    return found.group(0)


# -- 候选企业审核 ------------------------------------------------------------------------------


async def test_a_bureau_sees_only_its_own_districts_candidates(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await eligible(session, "jinghai"), await eligible(session, "heping")
    batch = await _nominated(client, await make_user(session, Role.city))
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))

    page = await client.get("/candidates")

    assert page.status_code == 200
    assert batch["label"] in page.text
    assert "静海区科技局" in page.text
    assert own.name in page.text
    assert own.uscc in page.text
    assert other.name not in page.text
    assert other.uscc not in page.text
    assert "通过" in _row(page.text, own)
    assert "退回" in _row(page.text, own)


async def test_a_bureau_approves_and_returns_candidates_and_sees_their_new_states(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    approved, returned = await eligible(session, "jinghai"), await eligible(session, "jinghai")
    await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    approved_id, returned_id = await status_ids(session, approved, returned)

    shown = await _follow(
        client,
        await client.post(
            "/candidates/review", data={"csrf_token": token, "status_id": approved_id, "decision": "approve"}
        ),
    )
    assert f"已通过区审查：{approved.name}" in shown.text
    assert "区审查通过" in _row(shown.text, approved)

    shown = await _follow(
        client,
        await client.post(
            "/candidates/review",
            data={
                "csrf_token": token,
                "status_id": returned_id,
                "decision": "reject",
                "reason": "研发费用核实不符",
            },
        ),
    )
    assert f"已退回：{returned.name}" in shown.text
    assert "研发费用核实不符" in shown.text
    assert "未通过" in _row(shown.text, returned)
    assert (await states(session))[returned_id][0] == "rejected"
    # The message is shown once, not again on the next visit.
    again = await client.get("/candidates")
    assert "已退回" not in again.text.split("<main", 1)[1].split("<table", 1)[0]


async def test_returning_a_candidate_without_a_reason_explains_what_is_missing_and_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await eligible(session, "jinghai")
    await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    (status_id,) = await status_ids(session, firm)

    answer = await client.post(
        "/candidates/review",
        data={"csrf_token": token, "status_id": status_id, "decision": "reject", "reason": "  "},
    )

    assert answer.status_code == 422
    assert "退回候选企业须填写理由" in answer.text
    assert "请填写退回理由" in _row(answer.text, firm)
    assert (await states(session))[status_id][0] == "candidate"


async def test_a_bureau_cannot_review_another_bureaus_candidate(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    other = await eligible(session, "heping")
    await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    (status_id,) = await status_ids(session, other)

    answer = await client.post(
        "/candidates/review", data={"csrf_token": token, "status_id": status_id, "decision": "approve"}
    )

    assert answer.status_code == 404
    assert f"未找到梯度记录 #{status_id}" in answer.text
    assert (await states(session))[status_id][0] == "candidate"


async def test_a_bureau_approves_the_candidates_it_ticks_in_one_go(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first, second, later = [await eligible(session, "jinghai") for _ in range(3)]
    await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/candidates")
    assert "本批次全部待审查企业（3 家）" in page.text
    assert f'aria-label="选择 {first.name}"' in _row(page.text, first)
    ticked = await status_ids(session, first, second)

    shown = await _follow(
        client,
        await client.post(
            "/candidates/review-many",
            data={
                "csrf_token": token,
                "batch": page_batch(page.text),
                "decision": "approve",
                "status_ids": ticked,
            },
        ),
    )

    assert "已通过区审查：2 家企业" in shown.text
    assert "区审查通过" in _row(shown.text, first)
    assert "区审查通过" in _row(shown.text, second)
    assert "本批次全部待审查企业（1 家）" in shown.text
    assert "选择" in _row(shown.text, later)
    assert "选择" not in _row(shown.text, first)  # nothing left to decide for it


async def test_returning_every_waiting_candidate_needs_a_reason_and_touches_only_the_bureaus_own(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own = [await eligible(session, "jinghai") for _ in range(2)]
    other = await eligible(session, "heping")
    await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    batch = page_batch((await client.get("/candidates")).text)
    form = {"csrf_token": token, "batch": batch, "decision": "reject", "scope": "all"}

    refused = await client.post("/candidates/review-many", data={**form, "reason": " "})
    assert refused.status_code == 422
    assert "未办理，名单中的企业均未变更：驳回须填写理由" in refused.text
    assert {state for state, _, _ in (await states(session)).values()} == {"candidate"}

    shown = await _follow(
        client, await client.post("/candidates/review-many", data={**form, "reason": "研发费用不实"})
    )
    assert "已退回（理由：研发费用不实）：2 家企业" in shown.text
    by_id = await states(session)
    assert [by_id[i][0] for i in await status_ids(session, *own)] == ["rejected", "rejected"]
    assert [by_id[i][0] for i in await status_ids(session, other)] == ["candidate"]


async def test_a_ticked_candidate_of_another_bureau_refuses_the_whole_selection(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    own, other = await eligible(session, "jinghai"), await eligible(session, "heping")
    await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    batch = page_batch((await client.get("/candidates")).text)
    ids = await status_ids(session, own, other)

    answer = await client.post(
        "/candidates/review-many",
        data={"csrf_token": token, "batch": batch, "decision": "approve", "status_ids": ids},
    )

    assert answer.status_code == 404
    assert f"未找到梯度记录 #{ids[1]}" in answer.text
    assert [(await states(session))[i][0] for i in ids] == ["candidate", "candidate"]


def page_batch(html: str) -> str:
    """The batch id the candidate page's forms post for."""
    found = re.search(r'name="batch" value="(\d+)"', html)
    assert found is not None, "no batch on the page"
    return found.group(1)


async def test_without_an_open_batch_the_candidate_page_says_so(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    page = await client.get("/candidates")
    assert page.status_code == 200
    assert "目前没有审核中的入库批次" in page.text


# -- refusals: roles and form tokens ----------------------------------------------------------


async def test_a_bureau_cannot_open_the_batch_pages_or_run_the_citys_steps(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await eligible(session, "jinghai")
    batch = await _nominated(client, await make_user(session, Role.city))
    token = browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    before = await states(session)

    for path in ("/batches", f"/batches/{batch['id']}"):
        page = await client.get(path)
        assert page.status_code == 403, path
        assert "无权访问" in page.text
        assert "只有市科技局" in page.text
    for path, data in (
        ("/batches", {"year": YEAR}),
        (f"/batches/{batch['id']}/nominate", {}),
        (f"/batches/{batch['id']}/notice", {}),
        (f"/batches/{batch['id']}/admit", {}),
        (f"/batches/{batch['id']}/review", {"action": "city_approve", "scope": "filtered"}),
    ):
        answer = await client.post(path, data={"csrf_token": token, **data})
        assert answer.status_code == 403, path
        assert "只有市科技局" in answer.text
    assert await states(session) == before


async def test_forms_without_their_token_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await eligible(session, "jinghai")
    batch = await _nominated(client, await make_user(session, Role.city))
    (status_id,) = await status_ids(session, firm)
    before = await states(session)

    browse_as(client, await make_user(session, Role.bureau, bureau_code="jinghai"))
    answer = await client.post("/candidates/review", data={"status_id": status_id, "decision": "approve"})
    assert answer.status_code == 403
    assert "页面已过期" in answer.text

    browse_as(client, await make_user(session, Role.city))
    for path in (f"/batches/{batch['id']}/nominate", f"/batches/{batch['id']}/notice", "/batches"):
        answer = await client.post(path, data={"csrf_token": "forged", "year": YEAR})
        assert answer.status_code == 403, path
        assert "页面已过期" in answer.text
    assert await states(session) == before


# -- 入库批次 ----------------------------------------------------------------------------------


async def test_the_city_runs_a_batch_from_opening_to_admission_on_its_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    jinghai, heping = await eligible(session, "jinghai"), await eligible(session, "heping")
    token = browse_as(client, await make_user(session, Role.city))

    shown = await _follow(client, await client.post("/batches", data={"csrf_token": token, "year": YEAR}))
    batch_url = str(shown.url.path)
    assert re.fullmatch(r"/batches/\d+", batch_url)
    assert f"已开启{YEAR}年第1批" in shown.text
    assert "审核中" in shown.text

    shown = await _follow(client, await client.post(f"{batch_url}/nominate", data={"csrf_token": token}))
    assert "新列入候选 2 家（雏鹰企业 2 家）" in shown.text
    assert jinghai.name in shown.text
    assert heping.name in shown.text
    # 公示 needs city-approved members first: the page says so instead of offering the step.
    assert "须先有市级审核通过的企业才能开始公示" in shown.text
    assert "须先公示，公示期结束后方可公告入库" in shown.text

    # 区审查 on the bureaus' behalf (all candidates of the list), then 市级审核 of one firm.
    shown = await _follow(
        client,
        await client.post(
            f"{batch_url}/review",
            data={"csrf_token": token, "action": "district_approve", "scope": "filtered"},
        ),
    )
    assert "区审查通过：2 家企业" in shown.text
    jinghai_id, heping_id = await status_ids(session, jinghai, heping)
    shown = await _follow(
        client,
        await client.post(
            f"{batch_url}/review",
            data={
                "csrf_token": token,
                "action": "city_approve",
                "scope": "selected",
                "status_ids": [jinghai_id],
            },
        ),
    )
    assert f"市级审核通过：1 家企业（{jinghai.name}）" in shown.text
    assert "市级审核通过" in _row(shown.text, jinghai)
    assert "其余 1 家尚未完成审核的企业" in shown.text

    shown = await _follow(
        client, await client.post(f"{batch_url}/notice", data={"csrf_token": token, **notice_window(10, 3)})
    )
    assert "进入公示" in shown.text
    assert "1 家尚未完成审核的企业移出本批次" in shown.text
    assert re.search(r"<h1>[^<]*<span class=\"badge [a-z]+\">公示中</span></h1>", shown.text)
    assert heping.name not in shown.text  # it waits for the next batch
    assert (await states(session))[heping_id][1] is None

    # An objection stops 公告入库 until it is decided.
    shown = await _follow(
        client,
        await client.post(
            f"{batch_url}/objections",
            data={
                "csrf_token": token,
                "status_id": jinghai_id,
                "submitted_by": "张三",
                "content": "营业收入存疑",
            },
        ),
    )
    assert "已登记异议" in shown.text
    assert "营业收入存疑" in shown.text
    refused = await client.post(f"{batch_url}/admit", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "仍有未处理的异议" in refused.text
    objection_id = re.search(rf"{batch_url}/objections/(\d+)/resolve", refused.text)
    assert objection_id is not None
    shown = await _follow(
        client,
        await client.post(
            f"{batch_url}/objections/{objection_id.group(1)}/resolve",
            data={"csrf_token": token, "outcome": "dismissed", "resolution": "经核实，营业收入无误"},
        ),
    )
    assert "继续公示" in shown.text

    shown = await _follow(client, await client.post(f"{batch_url}/admit", data={"csrf_token": token}))
    assert "已公告入库" in shown.text
    assert "1 家企业取得入库登记编号" in shown.text
    assert f"TJ-CY-{YEAR}-01-0001" in _row(shown.text, jinghai)

    listing = await client.get("/batches")
    assert f'<a href="{batch_url}">{YEAR}年第1批</a>' in listing.text
    assert "已公告入库" in listing.text


async def test_a_refused_review_is_explained_on_the_batch_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await eligible(session, "jinghai")
    token = browse_as(client, city := await make_user(session, Role.city))
    batch = await _nominated(client, city)
    url = f"/batches/{batch['id']}"

    nothing_ticked = await client.post(
        f"{url}/review", data={"csrf_token": token, "action": "district_approve", "scope": "selected"}
    )
    assert nothing_ticked.status_code == 422
    assert "请先在名单中勾选企业" in nothing_ticked.text

    no_reason = await client.post(
        f"{url}/review", data={"csrf_token": token, "action": "district_reject", "scope": "filtered"}
    )
    assert no_reason.status_code == 422
    assert "驳回须填写理由" in no_reason.text

    (status_id,) = await status_ids(session, firm)
    skipped = await client.post(
        f"{url}/review",
        data={"csrf_token": token, "action": "city_approve", "scope": "selected", "status_ids": [status_id]},
    )
    assert skipped.status_code == 409
    assert "当前状态为“候选”，不能变更为“市级审核通过”" in skipped.text
    assert (await states(session))[status_id][0] == "candidate"

    early = await client.post(f"{url}/notice", data={"csrf_token": token})
    assert early.status_code == 409
    assert "没有市级审核通过的企业，不能开始公示" in early.text


async def test_the_member_list_filters_by_bureau_and_state(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    jinghai, heping = await eligible(session, "jinghai"), await eligible(session, "heping")
    token = browse_as(client, city := await make_user(session, Role.city))
    batch = await _nominated(client, city)
    url = f"/batches/{batch['id']}"

    page = await client.get(url, params={"bureau": "heping", "state": "", "tier": ""})
    assert heping.name in page.text
    assert jinghai.name not in page.text

    # "All in the filtered list" stays within the filter.
    await _follow(
        client,
        await client.post(
            f"{url}/review",
            data={
                "csrf_token": token,
                "action": "district_approve",
                "scope": "filtered",
                "f_bureau": "heping",
            },
        ),
    )
    jinghai_id, heping_id = await status_ids(session, jinghai, heping)
    now = await states(session)
    assert now[heping_id][0] == "district_approved"
    assert now[jinghai_id][0] == "candidate"

    page = await client.get(url, params={"state": "district_approved"})
    assert heping.name in page.text
    assert jinghai.name not in page.text


async def test_the_batch_list_shows_each_batch_with_its_members_per_state(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await eligible(session, "jinghai")
    await eligible(session, "heping")
    browse_as(client, city := await make_user(session, Role.city))
    batch = await _nominated(client, city)

    page = await client.get("/batches", params={"year": ""})  # the year filter left blank

    assert page.status_code == 200
    assert f"<h2>{YEAR}年</h2>" in page.text
    row = re.search(rf"<tr>\s*<td><a href=\"/batches/{batch['id']}\">.*?</tr>", page.text, re.S)
    assert row is not None
    cells = re.findall(r"<td class=\"num\">([^<]*)</td>", row.group(0))
    assert cells[0] == "2"
    assert cells[-1] == "2"
    assert "审核中" in row.group(0)
    assert 'action="/batches"' in page.text
    assert "开启新批次" in page.text
    other_year = await client.get("/batches", params={"year": YEAR - 1})
    assert f"{YEAR - 1}年还没有入库批次" in other_year.text
