"""Logging in with a password, using the bearer token, logging out."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.factories.firms import make_firm
from tests.factories.users import PASSWORD, make_user
from vocabulary.states import Role


async def test_login_returns_a_token_that_identifies_the_user(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    enterprise = await make_user(session, Role.enterprise, firm=firm)
    response = await client.post(
        "/api/auth/login", json={"username": enterprise.user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"] == {
        "id": enterprise.user.id,
        "username": enterprise.user.username,
        "display_name": enterprise.user.display_name,
        "role": "enterprise",
        "bureau_code": None,
        "firm_uscc": firm.uscc,
    }
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == enterprise.user.username


async def test_tokens_are_stored_only_as_hashes(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, Role.city)
    token = (
        await client.post("/api/auth/login", json={"username": user.user.username, "password": PASSWORD})
    ).json()
    connection = await session.connection()
    stored = (await connection.execute(text("SELECT token_hash FROM auth_token"))).scalars().all()
    assert token["access_token"] not in stored
    assert all(len(h) == 64 for h in stored)
    password_hash = (
        await connection.execute(
            text('SELECT password_hash FROM "user" WHERE id = :id'), {"id": user.user.id}
        )
    ).scalar_one()
    assert password_hash.startswith("$argon2")


async def test_wrong_password_and_unknown_user_get_the_same_401(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.city)
    wrong = await client.post(
        "/api/auth/login", json={"username": user.user.username, "password": "nope-nope"}
    )
    unknown = await client.post("/api/auth/login", json={"username": "nobody-here", "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {
            "code": "auth.bad_credentials",
            "detail": "用户名或密码错误",
            "context": {},
        }


async def test_inactive_user_cannot_log_in(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, Role.city)
    user.user.is_active = False
    session.add(user.user)
    await session.flush()
    response = await client.post(
        "/api/auth/login", json={"username": user.user.username, "password": PASSWORD}
    )
    assert response.status_code == 401
    assert (await client.get("/api/firms", headers=user.headers)).status_code == 401


async def test_logout_revokes_the_token(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, Role.city)
    assert (await client.get("/api/firms", headers=user.headers)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=user.headers)).status_code == 204
    after = await client.get("/api/firms", headers=user.headers)
    assert after.status_code == 401
    assert after.json()["code"] == "auth.required"


async def test_garbage_and_expired_tokens_are_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.city)
    assert (
        await client.get("/api/firms", headers={"Authorization": "Bearer not-a-token"})
    ).status_code == 401
    connection = await session.connection()
    await connection.execute(text("UPDATE auth_token SET expires_at = now() - interval '1 minute'"))
    assert (await client.get("/api/firms", headers=user.headers)).status_code == 401


async def test_login_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", json={"username": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["context"]["errors"][0]["field"] == "password"
    assert body["context"]["errors"][0]["message"] == "必填"
    assert "密码：必填" in body["detail"]  # the field as a person reads it, not its code name
