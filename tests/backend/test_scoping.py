"""Every role × every firm and filing endpoint × its own data and someone else's.

An enterprise sees only its firm, a bureau only its bureau's firms; anything outside the
scope is 404 (existence is not revealed). Finance reads firms but not their filings; roles
that may read but not write get 403 for their writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.factories.filings import make_filing
from tests.factories.firms import make_firm, new_uscc
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role

ROLES = [Role.enterprise, Role.bureau, Role.city, Role.finance, Role.admin]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    writes: bool = False
    filings: bool = False  # touches filing figures (finance may not)


ENDPOINTS = [
    Endpoint("read firm", "GET", "/api/firms/{uscc}"),
    Endpoint("firm history", "GET", "/api/firms/{uscc}/history"),
    Endpoint("certificates", "GET", "/api/firms/{uscc}/certificates"),
    Endpoint("tiers", "GET", "/api/firms/{uscc}/tiers"),
    Endpoint("list filings", "GET", "/api/firms/{uscc}/filings", filings=True),
    Endpoint("read filing", "GET", "/api/firms/{uscc}/filings/2024", filings=True),
    Endpoint("filing revisions", "GET", "/api/firms/{uscc}/filings/2024/revisions", filings=True),
    Endpoint("status", "GET", "/api/firms/{uscc}/status?year=2025", filings=True),
    Endpoint("update firm", "PATCH", "/api/firms/{uscc}", {"legal_form": "股份有限公司"}, writes=True),
    Endpoint(
        "create filing",
        "POST",
        "/api/firms/{uscc}/filings",
        {"fiscal_year": 2023, "revenue_yuan": 1},
        True,
        True,
    ),
    Endpoint("revise filing", "PATCH", "/api/firms/{uscc}/filings/2024", {"revenue_yuan": 123}, True, True),
]


def expected_status(role: Role, own: bool, endpoint: Endpoint) -> int:
    success = 201 if endpoint.method == "POST" else 200
    if role in (Role.city, Role.admin):
        return success
    if role is Role.finance:
        return 403 if endpoint.writes or endpoint.filings else 200
    if not own:
        return 404  # bureau or enterprise outside its scope: not found, whatever the endpoint
    if role is Role.enterprise and endpoint.name == "update firm":
        return 403  # a firm files its figures; its identity is kept by the bureaus
    return success


@dataclass(frozen=True)
class World:
    own_uscc: str
    other_uscc: str
    user: LoggedIn


async def build_world(session: AsyncSession, role: Role) -> World:
    own = await make_firm(session, "jinghai", name="天津范围测试甲科技有限公司")
    other = await make_firm(session, "heping", name="天津范围测试乙科技有限公司")
    for firm in (own, other):
        await make_filing(session, firm, 2024)
    binding: dict[str, Any] = {"firm": own} if role is Role.enterprise else {}
    if role is Role.bureau:
        binding = {"bureau_code": "jinghai"}
    return World(own.uscc, other.uscc, await make_user(session, role, **binding))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
async def test_scope(
    client: httpx.AsyncClient, session: AsyncSession, role: Role, own: bool, endpoint: Endpoint
) -> None:
    world = await build_world(session, role)
    uscc = world.own_uscc if own else world.other_uscc
    response = await client.request(
        endpoint.method, endpoint.path.format(uscc=uscc), json=endpoint.body, headers=world.user.headers
    )
    expected = expected_status(role, own, endpoint)
    assert response.status_code == expected, response.text
    if expected == 404:
        assert response.json()["code"] == "firm.not_found"
        assert "未找到" in response.json()["detail"]
    if expected == 403:
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
async def test_search_lists_only_firms_in_scope(
    client: httpx.AsyncClient, session: AsyncSession, role: Role
) -> None:
    world = await build_world(session, role)
    response = await client.get("/api/firms", params={"q": "范围测试"}, headers=world.user.headers)
    assert response.status_code == 200
    found = {item["uscc"] for item in response.json()["items"]}
    everyone = {world.own_uscc, world.other_uscc}
    assert found == (everyone if role in (Role.city, Role.admin, Role.finance) else {world.own_uscc})
    assert response.json()["total"] == len(found)
    # Asking for the other bureau explicitly does not widen the scope.
    other = await client.get("/api/firms", params={"bureau": "heping"}, headers=world.user.headers)
    assert (world.other_uscc in {i["uscc"] for i in other.json()["items"]}) == (
        role not in (Role.bureau, Role.enterprise)
    )


@pytest.mark.parametrize("target_bureau", ["jinghai", "heping"])
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
async def test_register_firm_by_role_and_bureau(
    client: httpx.AsyncClient, session: AsyncSession, role: Role, target_bureau: str
) -> None:
    world = await build_world(session, role)
    district = {"jinghai": "120118", "heping": "120101"}[target_bureau]
    body = {
        "uscc": new_uscc(district),
        "name": "天津新登记科技有限公司",
        "bureau_code": target_bureau,
        "registered_on": "2021-01-04",
    }
    response = await client.post("/api/firms", json=body, headers=world.user.headers)
    if role in (Role.city, Role.admin) or (role is Role.bureau and target_bureau == "jinghai"):
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 403, response.text


async def test_finance_reads_a_firm_without_its_filings(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    world = await build_world(session, Role.finance)
    detail = (await client.get(f"/api/firms/{world.own_uscc}", headers=world.user.headers)).json()
    assert detail["filings"] is None
    assert detail["firm"]["uscc"] == world.own_uscc
