"""The login and logout pages: a session cookie instead of a bearer header, same service."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.auth import service as auth_service
from backend.auth.errors import BadCredentials, TooManyAttempts
from backend.core.db import SessionDep
from backend.core.deps import SettingsDep, client_ip
from backend.web.render import render
from backend.web.session import (
    SESSION_COOKIE,
    FormViewerDep,
    OptionalViewerDep,
    check_login_token,
    clear_session_cookie,
    new_login_token,
    set_login_cookie,
    set_session_cookie,
)

pages = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only same-site paths: a crafted ?next= must not send a fresh login to another site."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_form(
    request: Request,
    settings: SettingsDep,
    *,
    next_url: str,
    username: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    token = new_login_token()
    response = render(
        request,
        "auth/login.html",
        {"login_token": token, "next": next_url, "username": username, "error": error},
        status_code=status,
    )
    set_login_cookie(response, request, settings, token)
    return response


@pages.get("/login")
async def login_page(
    request: Request, settings: SettingsDep, viewer: OptionalViewerDep, next: str = "/"
) -> Response:
    if viewer is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, settings, next_url=_safe_next(next))


@pages.post("/login")
async def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    login_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_login_token(request, login_token)
    try:
        issued = await auth_service.log_in(
            session, settings, username, password, client_ip=client_ip(request)
        )
    except BadCredentials as refused:
        # Answered, not raised, so the request's transaction commits the counted failure.
        return _login_form(
            request, settings, next_url=_safe_next(next), username=username, error=refused.detail, status=401
        )
    except TooManyAttempts as throttled:
        page = _login_form(
            request,
            settings,
            next_url=_safe_next(next),
            username=username,
            error=throttled.detail,
            status=429,
        )
        page.headers["Retry-After"] = str(throttled.retry_after)
        return page
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, request, settings, issued.token)
    return response


@pages.post("/logout")
async def logout_submit(request: Request, session: SessionDep, viewer: FormViewerDep) -> Response:
    await auth_service.logout(session, viewer.actor, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response
