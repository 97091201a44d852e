"""Logging in and out of the pages: session cookie, form tokens, throttling, error pages."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.core.config import Settings
from backend.core.db import SessionFactory, get_session_factory
from backend.main import create_app
from backend.web.session import SESSION_COOKIE
from tests.backend.pages_support import browse_as, form_token
from tests.factories.firms import make_firm
from tests.factories.users import PASSWORD, make_user
from vocabulary.states import Role


def _login_token(html: str) -> str:
    found = re.search(r'name="login_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def _submit_login(
    client: httpx.AsyncClient, username: str, password: str, next_path: str = "/"
) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "login_token": _login_token(form.text),
            "next": next_path,
        },
    )


async def test_logging_in_sets_an_httponly_samesite_session_and_returns_to_the_page_asked_for(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.city)
    answer = await _submit_login(client, user.user.username, PASSWORD, next_path="/rules")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/rules"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    home = await client.get("/")
    assert home.status_code == 200
    assert user.user.display_name in home.text
    assert "数据看板" in home.text  # the city's main task, first on its home page


async def test_a_login_form_from_elsewhere_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.city)
    # No token from our own login page (a cross-site form, or a replayed one).
    answer = await client.post(
        "/login", data={"username": user.user.username, "password": PASSWORD, "login_token": "forged"}
    )
    assert answer.status_code == 403
    assert "页面已过期" in answer.text
    assert SESSION_COOKIE not in answer.cookies


async def test_next_never_leads_off_site(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, Role.city)
    answer = await _submit_login(client, user.user.username, PASSWORD, next_path="//evil.example/steal")
    assert answer.headers["location"] == "/"


async def test_wrong_password_shows_the_form_again_and_repeated_failures_are_throttled(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.city)
    for _ in range(5):
        refused = await _submit_login(client, user.user.username, "wrong-password")
        assert refused.status_code == 401
        assert "用户名或密码错误" in refused.text
    # Even the right password gets no answer now: guessing cannot continue.
    throttled = await _submit_login(client, user.user.username, PASSWORD)
    assert throttled.status_code == 429
    assert "登录失败次数过多" in throttled.text
    api = await client.post("/api/auth/login", json={"username": user.user.username, "password": PASSWORD})
    assert api.status_code == 429
    assert api.json()["code"] == "auth.throttled"
    # Another account from the same address is not locked by someone else's mistakes.
    other = await make_user(session, Role.finance)
    assert (await _submit_login(client, other.user.username, PASSWORD)).status_code == 303


async def test_api_login_failures_count_too(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, Role.city)
    for _ in range(5):
        wrong = await client.post(
            "/api/auth/login", json={"username": user.user.username, "password": "x" * 9}
        )
        assert wrong.status_code == 401
    connection = await session.connection()
    counted = await connection.execute(
        text("SELECT count(*) FROM login_failure WHERE username = :u"), {"u": user.user.username}
    )
    assert counted.scalar_one() == 5
    right = await client.post("/api/auth/login", json={"username": user.user.username, "password": PASSWORD})
    assert right.status_code == 429


async def test_logout_needs_the_form_token_and_ends_the_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, Role.finance)
    csrf = browse_as(client, user)
    home = await client.get("/")
    assert form_token(home.text) == csrf
    forged = await client.post("/logout", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert (await client.get("/")).status_code == 200  # still logged in
    answer = await client.post("/logout", data={"csrf_token": csrf})
    assert answer.status_code == 303
    client.cookies.set(SESSION_COOKIE, user.token)  # even a kept cookie is dead now
    after = await client.get("/firm")
    assert after.status_code == 303
    assert after.headers["location"] == "/login?next=/firm"


async def test_pages_answer_errors_as_pages_and_the_api_as_json(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    firm = await make_firm(session)
    other = await make_firm(session)
    user = await make_user(session, Role.enterprise, firm=firm)
    browse_as(client, user)
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404
    assert "页面或数据不存在" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    foreign = await client.get(f"/firms/{other.uscc}")
    assert foreign.status_code in (403, 404)
    assert other.name not in foreign.text
    api = await client.get("/api/no-such-thing")
    assert api.status_code == 404
    assert api.json()["code"] == "http_404"


async def test_home_without_a_session_goes_to_the_login_page(client: httpx.AsyncClient) -> None:
    answer = await client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    login = await client.get("/login")
    assert "登录 tidu" in login.text
    assert 'type="password"' in login.text


async def test_a_throttled_account_says_when_to_retry_and_still_logs_in_from_another_address(
    db: SessionFactory, database_url: str, session: AsyncSession
) -> None:
    """Someone guessing from one address must not lock the account's owner out everywhere."""
    user = await make_user(session, Role.city)
    app = create_app(Settings(database_url=database_url))

    async def test_factory() -> SessionFactory:
        return db

    app.dependency_overrides[get_session_factory] = test_factory

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://tidu.test")

    async with client_from("203.0.113.7") as guesser, client_from("198.51.100.20") as owner:
        for _ in range(5):
            wrong = await guesser.post(
                "/api/auth/login", json={"username": user.user.username, "password": "guess-guess"}
            )
            assert wrong.status_code == 401
        throttled = await guesser.post(
            "/api/auth/login", json={"username": user.user.username, "password": PASSWORD}
        )
        assert throttled.status_code == 429
        # The wait is when the oldest counted refusal leaves the 15-minute window: just under 900 s.
        assert 840 <= int(throttled.headers["retry-after"]) <= 900
        assert throttled.json()["detail"] == "登录失败次数过多，请 15 分钟后再试"
        page = await _submit_login(guesser, user.user.username, PASSWORD)
        assert page.status_code == 429
        assert 840 <= int(page.headers["retry-after"]) <= 900

        from_elsewhere = await owner.post(
            "/api/auth/login", json={"username": user.user.username, "password": PASSWORD}
        )
        assert from_elsewhere.status_code == 200
        assert (await _submit_login(owner, user.user.username, PASSWORD)).status_code == 303
