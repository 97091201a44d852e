"""The API answers, and every error has the same Chinese {code, detail, context} shape."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from backend.core.error_handlers import integrity_response


async def test_health_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["server_version"]


async def test_unknown_route_uses_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"code": "http_404", "detail": "未找到", "context": {}}


async def test_protected_route_without_token_is_401_in_chinese(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/firms")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "auth.required"
    assert "需要登录" in body["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/firms/{uscc}/filings/{fiscal_year}/revisions" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "status", "code"),
    [("23505", 409, "conflict"), ("23514", 422, "validation_error"), ("23503", 422, "validation_error")],
)
def test_constraint_the_database_caught_is_a_clear_error(sqlstate: str, status: int, code: str) -> None:
    # What a race past the services' own checks looks like to a client: never a 500.
    response = integrity_response(IntegrityError("INSERT …", {}, _PgError(sqlstate)))
    assert response.status_code == status
    body = json.loads(bytes(response.body))
    assert body["code"] == code
    assert body["context"] == {"sqlstate": sqlstate}
    assert body["detail"]
