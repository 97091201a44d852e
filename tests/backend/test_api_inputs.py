"""Hostile input a client can send: ids and pages past BIGINT, NUL bytes, NaN and ∞, absurd money.

Each is answered 422 in the one error shape with a Chinese reason, never a 500 and never stored.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.backend.awards.support import CITY_FIRST, YEAR, awards_of, compute, decide
from tests.backend.pages_support import browse_as
from tests.factories.firms import make_firm, new_uscc
from tests.factories.users import LoggedIn, make_user
from vocabulary.figures import MAX_YUAN
from vocabulary.states import Role

HUGE = 36893488147419103233  # 2**65 + 1
CONTROL = "不能包含不可见的控制字符"


@pytest.fixture
async def city(session: AsyncSession) -> LoggedIn:
    return await make_user(session, Role.city)


def refused(response: httpx.Response, fragment: str = "") -> dict[str, Any]:
    """A 422 in the one error shape whose Chinese detail contains ``fragment``."""
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "validation_error"
    assert isinstance(body["detail"], str)
    assert fragment in body["detail"], body["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])
    return body


def raw_json(text: str, user: LoggedIn) -> dict[str, Any]:
    """Arguments for ``user``'s request whose body is ``text`` as typed (NaN, Infinity, 1e400 …)."""
    return {"content": text.encode(), "headers": {"content-type": "application/json", **user.headers}}


# -- 1. integers past BIGINT in ids and pages ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/awards/{HUGE}"),
        ("POST", f"/api/awards/{HUGE}/correct"),
        ("DELETE", f"/api/awards/exclusions/{HUGE}"),
        ("GET", f"/api/exports/{HUGE}"),
        ("GET", f"/api/imports/{HUGE}"),
        ("GET", f"/api/imports/{HUGE}/issues"),
        ("GET", f"/api/tiers/batches/{HUGE}"),
        ("POST", f"/api/tiers/batches/{HUGE}/nominate"),
        ("GET", "/api/firms?page=1000000000000000000"),
        ("GET", f"/api/awards?page={HUGE}"),
        ("GET", "/api/firms?page=100001"),
    ],
)
async def test_ids_and_pages_past_their_range_are_422(
    client: httpx.AsyncClient, city: LoggedIn, method: str, path: str
) -> None:
    body = {"amount_yuan": 1, "reason": "核减"} if path.endswith("/correct") else None
    refused(await client.request(method, path, json=body, headers=city.headers), "不能大于")


async def test_last_page_in_range_is_answered(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.get("/api/firms", params={"page": 100_000}, headers=city.headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_ids_in_a_body_past_bigint_are_422(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.post(
        "/api/tiers/district-review",
        json={"status_ids": [HUGE], "decision": "approve"},
        headers=city.headers,
    )
    refused(response, "不能大于")


async def test_page_form_with_a_huge_award_id_is_a_422_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    csrf = browse_as(client, bureau)
    response = await client.post("/awards/district-review", data={"csrf_token": csrf, "award_id": str(HUGE)})
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]


# -- 2. NUL and other invisible control characters in text ---------------------------------------


async def test_nul_in_a_firm_name_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, city: LoggedIn
) -> None:
    uscc = new_uscc()
    body = {
        "uscc": uscc,
        "name": "天津\x00科技有限公司",
        "bureau_code": "jinghai",
        "registered_on": "2020-01-02",
    }
    refused(await client.post("/api/firms", json=body, headers=city.headers), CONTROL)
    assert (await client.get(f"/api/firms/{uscc}", headers=city.headers)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/awards/exclusions", {"uscc": "\x00" * 18, "from_year": 2026, "reason": "x"}),
        (
            "POST",
            "/api/awards/exclusions",
            {"uscc": "9112011800000000X1", "from_year": 2026, "reason": "\x00"},
        ),
        ("POST", "/api/awards/reject", {"award_ids": [1], "reason": "理由\x00"}),
        ("PUT", f"/api/awards/budgets/{CITY_FIRST}/{YEAR}", {"amount_yuan": 1, "note": "\x00"}),
        ("POST", "/api/what-if", {"year": 2026, "inputs": {"\x00": 1}}),
        ("GET", "/api/firms?q=%00", None),
        ("GET", "/api/firms?uscc=91%00", None),
        ("GET", "/api/firms/9112%00", None),
        ("GET", "/api/awards?program=%00", None),
    ],
)
async def test_nul_anywhere_in_api_text_is_422(
    client: httpx.AsyncClient, city: LoggedIn, method: str, path: str, body: dict[str, Any] | None
) -> None:
    refused(await client.request(method, path, json=body, headers=city.headers), CONTROL)


async def test_other_control_characters_are_refused_but_line_breaks_are_kept(
    client: httpx.AsyncClient, city: LoggedIn, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    bell = await client.patch(f"/api/firms/{firm.uscc}", json={"note": "更名\x07"}, headers=city.headers)
    refused(bell, CONTROL)
    lines = await client.patch(
        f"/api/firms/{firm.uscc}",
        json={"name": "天津新名科技有限公司", "note": "更名\r\n\t见批文"},
        headers=city.headers,
    )
    assert lines.status_code == 200, lines.text


async def test_nul_in_page_queries_and_forms_is_a_422_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    csrf = browse_as(client, bureau)
    search = await client.get("/firms", params={"q": "天津\x00"})
    assert search.status_code == 422
    assert CONTROL in search.text
    award_form = await client.post(
        "/awards/reject", data={"csrf_token": csrf, "award_id": "1", "reject_reason": "x\x00"}
    )
    assert award_form.status_code == 422
    assert CONTROL in award_form.text
    client.cookies.clear()
    login = await client.post("/login", data={"username": "a\x00", "password": "b", "login_token": "t"})
    assert login.status_code == 422
    assert "text/html" in login.headers["content-type"]


# -- 3. NaN, Infinity, 1e400 and 10**30 in JSON numbers -------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 30, "1e30"])
async def test_non_finite_and_huge_numbers_are_422(
    client: httpx.AsyncClient, session: AsyncSession, city: LoggedIn, number: str
) -> None:
    firm = await make_firm(session)
    what_if = f'{{"uscc": "{firm.uscc}", "year": 2026, "filings": {{"2025": {{"revenue_yuan": {number}}}}}}}'
    refused(await client.post("/api/what-if", **raw_json(what_if, city)))
    filing = f'{{"fiscal_year": 2025, "rd_expense_yuan": {number}}}'
    refused(await client.post(f"/api/firms/{firm.uscc}/filings", **raw_json(filing, city)))
    budget = f'{{"amount_yuan": {number}}}'
    refused(await client.put(f"/api/awards/budgets/{CITY_FIRST}/{YEAR}", **raw_json(budget, city)))
    loan = f'{{"uscc": "{firm.uscc}", "year": 2026, "inputs": {{"loan_avg_daily_balance_yuan": {number}}}}}'
    refused(await client.post("/api/what-if", **raw_json(loan, city)))


# -- 4. money: 0 ≤ 元 ≤ 100 万亿元 everywhere ------------------------------------------------------


async def _award(client: httpx.AsyncClient, session: AsyncSession) -> int:
    firm = await make_firm(session, "jinghai")
    await decide(session, firm, CITY_FIRST, amount_yuan=100_000)
    city = await make_user(session, Role.city)
    assert (await compute(client, city.headers)).json()["created"] == 1
    award_id: int = (await awards_of(session, firm))[-1]["id"]
    return award_id


@pytest.mark.parametrize("amount", [2**63, 2**63 - 1, MAX_YUAN + 1, -1])
async def test_money_out_of_range_is_422_saying_the_range_in_yuan_a_person_reads(
    client: httpx.AsyncClient, session: AsyncSession, city: LoggedIn, amount: int
) -> None:
    firm = await make_firm(session)
    filing = await client.post(
        f"/api/firms/{firm.uscc}/filings",
        json={"fiscal_year": 2025, "revenue_yuan": amount},
        headers=city.headers,
    )
    body = refused(filing, "100万亿元")
    assert body["context"]["errors"][0]["field"] == "revenue_yuan"
    assert (await client.get(f"/api/firms/{firm.uscc}/filings", headers=city.headers)).json() == []
    budget = await client.put(
        f"/api/awards/budgets/{CITY_FIRST}/{YEAR}", json={"amount_yuan": amount}, headers=city.headers
    )
    refused(budget, "100万亿元")
    award_id = await _award(client, session)
    finance = await make_user(session, Role.finance)
    correction = await client.post(
        f"/api/awards/{award_id}/correct",
        json={"amount_yuan": amount, "reason": "核定"},
        headers=finance.headers,
    )
    refused(correction, "100万亿元")


async def test_net_assets_may_be_negative_within_the_same_bound(
    client: httpx.AsyncClient, session: AsyncSession, city: LoggedIn
) -> None:
    firm = await make_firm(session)
    path = f"/api/firms/{firm.uscc}/filings"
    refused(
        await client.post(path, json={"fiscal_year": 2024, "net_assets_yuan": -(2**63)}, headers=city.headers)
    )
    kept = await client.post(
        path, json={"fiscal_year": 2025, "net_assets_yuan": -5_000_000}, headers=city.headers
    )
    assert kept.status_code == 201, kept.text


async def test_the_largest_allowed_amount_is_stored(
    client: httpx.AsyncClient, session: AsyncSession, city: LoggedIn
) -> None:
    firm = await make_firm(session)
    response = await client.post(
        f"/api/firms/{firm.uscc}/filings",
        json={"fiscal_year": 2025, "total_assets_yuan": MAX_YUAN},
        headers=city.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["total_assets_yuan"] == MAX_YUAN


async def test_counts_past_the_database_integer_are_422(
    client: httpx.AsyncClient, session: AsyncSession, city: LoggedIn
) -> None:
    firm = await make_firm(session)
    response = await client.post(
        f"/api/firms/{firm.uscc}/filings",
        json={"fiscal_year": 2025, "ip_class1": 2**31},
        headers=city.headers,
    )
    refused(response, "不能大于")


def test_money_bound_is_declared_once_and_published() -> None:
    from backend.main import create_app

    spec = create_app().openapi()
    schemas = spec["components"]["schemas"]
    amounts = [
        (name, field, prop)
        for name, schema in schemas.items()
        for field, prop in schema.get("properties", {}).items()
        if field.endswith("_yuan")
        and ("Create" in name or "Write" in name or "Request" in name or "In" in name)
    ]
    assert amounts
    for name, field, prop in amounts:
        options = prop.get("anyOf", [prop])
        bounded = [o for o in options if o.get("type") == "integer"]
        assert bounded, (name, field)
        assert bounded[0].get("maximum") == MAX_YUAN, (name, field, json.dumps(prop))


# -- found by the fuzzer ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "bureau_code", "district_code", "registered_on"])
async def test_blanking_a_required_firm_field_is_422_not_a_500(
    client: httpx.AsyncClient, session: AsyncSession, city: LoggedIn, field: str
) -> None:
    firm = await make_firm(session)
    response = await client.patch(f"/api/firms/{firm.uscc}", json={field: None}, headers=city.headers)
    refused(response, "不能为空")
    kept = (await client.get(f"/api/firms/{firm.uscc}", headers=city.headers)).json()
    assert kept["firm"]["name"] == firm.name


async def test_nul_in_an_uploaded_file_name_is_422(client: httpx.AsyncClient, session: AsyncSession) -> None:
    bureau = await make_user(session, Role.bureau, bureau_code="jinghai")
    # Written out by hand: httpx would percent-encode the NUL in the part's header.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\nfilings\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a\x00.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nuscc,name\r\n--b--\r\n"
    )
    headers = {"content-type": "multipart/form-data; boundary=b", **bureau.headers}
    refused(await client.post("/api/imports", content=body, headers=headers), CONTROL)


@pytest.mark.parametrize("depth", [500, 100_000])
async def test_deeply_nested_json_is_422_not_a_500(
    client: httpx.AsyncClient, city: LoggedIn, depth: int
) -> None:
    body = '{"year": 2026, "facts": ' + "[" * depth + "]" * depth + "}"
    refused(await client.post("/api/what-if", **raw_json(body, city)))
