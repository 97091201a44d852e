"""Batch lists and member lists: filters, pages, and each role's scope."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.backend.tiers.support import YEAR, eligible, new_batch, ok, post
from tests.factories.users import make_user
from vocabulary.states import Role


async def test_members_filter_page_and_scope(client: httpx.AsyncClient, session: AsyncSession) -> None:
    firms = [await eligible(session, "jinghai") for _ in range(3)]
    firms.append(await eligible(session, "heping", tier="gazelle"))
    city = await make_user(session, Role.city)
    jinghai = await make_user(session, Role.bureau, bureau_code="jinghai")
    enterprise = await make_user(session, Role.enterprise, firm=firms[0])
    batch = await new_batch(client, city)
    await ok(await post(client, city, f"/batches/{batch['id']}/nominate"))
    path = f"/api/tiers/batches/{batch['id']}/members"

    async def members(user_headers: dict[str, str], **params: str | int) -> Any:
        return await ok(await client.get(path, params=params, headers=user_headers))

    every = await members(city.headers)
    assert every["total"] == 4
    assert [m["tier"] for m in every["items"]] == ["seedling", "seedling", "seedling", "gazelle"]
    page = await members(city.headers, size=2, page=2)
    assert (page["total"], len(page["items"]), page["page"]) == (4, 2, 2)
    assert (await members(city.headers, tier="gazelle"))["total"] == 1
    assert (await members(city.headers, bureau="heping"))["total"] == 1
    assert (await members(city.headers, state="district_approved"))["total"] == 0
    assert (await members(jinghai.headers))["total"] == 3
    assert (await members(jinghai.headers, bureau="heping"))["total"] == 0
    own = await members(enterprise.headers)
    assert [m["uscc"] for m in own["items"]] == [firms[0].uscc]
    unknown = await client.get(path, params={"bureau": "nowhere"}, headers=city.headers)
    assert unknown.status_code == 422

    listed = await ok(await client.get("/api/tiers/batches", params={"year": YEAR}, headers=jinghai.headers))
    assert [b["label"] for b in listed["items"]] == [f"{YEAR}年第1批"]
    detail = await ok(await client.get(f"/api/tiers/batches/{batch['id']}", headers=jinghai.headers))
    assert detail["counts"] == {"seedling": {"candidate": 3}}
