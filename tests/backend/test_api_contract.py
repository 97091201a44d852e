"""What the API answers is what its OpenAPI says, and error bodies never echo secrets or bulk."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.main import create_app
from tests.factories.users import LoggedIn, make_user
from vocabulary.states import Role

ERROR_BODY = "#/components/schemas/ErrorBody"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
async def city(session: AsyncSession) -> LoggedIn:
    return await make_user(session, Role.city)


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


# -- 5. the spec describes the answers -----------------------------------------------------------


def test_every_422_in_the_spec_is_the_error_body(spec: dict[str, Any]) -> None:
    takes_input = [
        (path, method, op)
        for path, method, op in operations(spec)
        if op.get("parameters") or op.get("requestBody")
    ]
    assert len(takes_input) > 40
    for path, method, op in takes_input:
        answer = op["responses"].get("422")
        assert answer is not None, f"{method} {path} does not document 422"
        assert answer["content"]["application/json"]["schema"] == {"$ref": ERROR_BODY}, (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "ValidationError" not in spec["components"]["schemas"]


def test_error_body_schema_says_detail_is_text(spec: dict[str, Any]) -> None:
    body = spec["components"]["schemas"]["ErrorBody"]
    assert body["properties"]["detail"]["type"] == "string"
    assert set(body["required"]) == {"code", "detail", "context"}


def test_every_operation_that_needs_a_token_documents_401(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        if op.get("security"):
            assert "401" in op["responses"], (method, path)


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"username": "a", "password": "\xff\xfe"}', b"\xff"],
)
async def test_malformed_json_is_the_documented_422(client: httpx.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["code"] == "validation_error"
    assert "JSON" in answer["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/awards/approve", {"POST"}),
        ("GET", "/api/awards/compute", {"POST"}),
        ("GET", "/api/awards/mark-paid", {"POST"}),
        ("GET", "/api/exports/disbursement", {"POST"}),
        ("PUT", "/api/awards/exclusions", {"GET", "POST"}),
        ("DELETE", "/api/firms", {"GET", "POST"}),
        ("GET", "/api/tiers/reviews", {"POST"}),
    ],
)
async def test_a_method_the_path_does_not_take_is_405_with_allow(
    client: httpx.AsyncClient, city: LoggedIn, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path, headers=city.headers)
    assert response.status_code == 405, response.text
    assert set(response.headers["allow"].replace(" ", "").split(",")) == allowed
    assert response.json()["code"] == "http_405"


async def test_every_post_only_path_answers_get_with_405(
    client: httpx.AsyncClient, city: LoggedIn, spec: dict[str, Any]
) -> None:
    post_only = [path for path, item in spec["paths"].items() if set(item) == {"post"} and "{" not in path]
    assert "/api/awards/approve" in post_only
    for path in post_only:
        response = await client.get(path, headers=city.headers)
        assert response.status_code == 405, (path, response.text)


async def test_a_page_path_that_takes_only_post_answers_get_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/exports/disbursement")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "text/html" in response.headers["content-type"]


async def test_a_word_where_an_id_belongs_is_not_found(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.get("/api/awards/abc", headers=city.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "http_404"


def test_spec_shows_credit_code_money_and_page_bounds(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    uscc = schemas["FirmCreate"]["properties"]["uscc"]
    assert "18" in uscc["description"]
    assert "校验" in uscc["description"]
    exclusion = schemas["ExclusionCreate"]["properties"]["uscc"]
    assert "校验" in exclusion["description"]
    params = {p["name"]: p for p in spec["paths"]["/api/firms"]["get"]["parameters"]}
    assert params["page"]["schema"]["maximum"] == 100_000
    assert params["size"]["schema"]["maximum"] == 200
    award = {p["name"]: p for p in spec["paths"]["/api/awards/{award_id}"]["get"]["parameters"]}["award_id"]
    assert award["schema"]["maximum"] == 2**63 - 1
    budget = schemas["BudgetWrite"]["properties"]["amount_yuan"]
    assert budget["maximum"] == 10**14
    assert budget["minimum"] == 0
    assert "万亿元" in budget["description"]


# -- 6. error bodies never echo secrets, and stay small ------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"username": "", "password": "hunter2-secret"},
        {"username": "x" * 61, "password": "hunter2-secret"},
        {"password": "hunter2-secret"},
        {"username": "admin", "password": ["hunter2-secret"]},
        {"username": "admin", "password": "p" * 201 + "hunter2-secret"},
        ["admin", "hunter2-secret"],
        "hunter2-secret",
    ],
)
async def test_login_errors_never_echo_the_password(client: httpx.AsyncClient, body: Any) -> None:
    response = await client.post("/api/auth/login", json=body)
    assert response.status_code == 422, response.text
    assert "hunter2-secret" not in response.text


async def test_secret_named_fields_are_never_echoed_anywhere(
    client: httpx.AsyncClient, city: LoggedIn
) -> None:
    body = {
        "year": 1900,
        "access_token": "tok-secret",
        "api_secret": "shh-secret",
        "new_password": "pw-secret",
    }
    response = await client.post("/api/awards/compute", json=body, headers=city.headers)
    assert response.status_code == 422, response.text
    for secret in ("tok-secret", "shh-secret", "pw-secret"):
        assert secret not in response.text


async def test_login_page_errors_never_echo_the_password(client: httpx.AsyncClient) -> None:
    login_page = await client.get("/login")
    token = login_page.cookies.get("tidu_login_csrf") or ""
    response = await client.post(
        "/login", data={"username": "u" * 61, "password": "pw-secret-value", "login_token": token}
    )
    assert response.status_code == 422
    assert "pw-secret-value" not in response.text


async def test_a_huge_id_list_comes_back_as_a_short_summary(
    client: httpx.AsyncClient, city: LoggedIn
) -> None:
    ids = list(range(1, 100_001))
    response = await client.post("/api/awards/district-review", json={"award_ids": ids}, headers=city.headers)
    assert response.status_code == 422, response.text[:300]
    assert len(response.content) < 4_000
    error = response.json()["context"]["errors"][0]
    assert error["field"] == "award_ids"
    assert "100000" in str(error["value"])


async def test_long_text_is_truncated_in_the_echo(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.get("/api/firms", params={"q": "天" * 3_000}, headers=city.headers)
    assert response.status_code == 422
    assert len(response.content) < 4_000


async def test_errors_past_twenty_are_counted_not_listed(client: httpx.AsyncClient, city: LoggedIn) -> None:
    response = await client.post(
        "/api/awards/district-review", json={"award_ids": ["x"] * 50}, headers=city.headers
    )
    assert response.status_code == 422
    body = response.json()
    assert len(body["context"]["errors"]) == 20
    assert body["context"]["errors_total"] == 50
    assert "另有 30 处错误" in body["detail"]


async def test_detail_names_fields_in_chinese(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"username": "x"})
    assert response.json()["detail"] == "密码：必填"


async def test_nan_echoed_back_is_still_valid_json(client: httpx.AsyncClient, city: LoggedIn) -> None:
    # A float NaN where text belongs: the 422 names it without breaking the JSON encoder.
    response = await client.post(
        "/api/awards/compute",
        content=b'{"year": NaN}',
        headers={"content-type": "application/json", **city.headers},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
