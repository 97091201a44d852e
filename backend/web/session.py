"""Page sessions: the bearer token in an HttpOnly SameSite cookie, and CSRF tokens bound to it.

A page session is an ordinary ``auth_token`` row, so logging out, expiry and the audit log work
exactly as for the API. The CSRF token is an HMAC of the session token: nothing extra to store,
and a token from one session is worthless in another. Whose token it is the auth package says:
the app hands its answer over with ``serve_page_sessions`` (web sits below auth).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette
from starlette.responses import Response

from backend.core.config import Settings
from backend.core.db import SessionDep
from backend.core.deps import SettingsDep
from backend.core.errors import Forbidden, Unauthorized
from backend.core.security import Actor
from backend.models import User

SESSION_COOKIE = "tidu_session"
LOGIN_COOKIE = "tidu_login_csrf"  # before there is a session, the login form's own token
CSRF_FIELD = "csrf_token"


class CsrfRejected(Forbidden):
    code = "csrf.rejected"

    def __init__(self) -> None:
        super().__init__("页面已过期或来源无法确认，请返回刷新后重试")


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: the services' Actor, a name for the header, the form token."""

    actor: Actor
    display_name: str
    csrf_token: str


class TokenHolder(Protocol):
    """Who holds a session token: the services' Actor and the user (the header shows their name).

    Raises an ``Unauthorized`` error when the token is missing, unknown, expired or revoked.
    """

    async def __call__(self, session: AsyncSession, token: str | None) -> tuple[Actor, User]: ...


def serve_page_sessions(app: Starlette, holder: TokenHolder) -> None:
    """Let the pages of ``app`` know their viewer: ``holder`` tells whose session a cookie carries."""
    app.state.token_holder = holder


def _token_holder(request: Request) -> TokenHolder:
    holder: TokenHolder = request.app.state.token_holder
    return holder


def csrf_token(settings: Settings, session_token: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def _secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.env == "prod"


def set_session_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/",
    )


def set_login_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=_secure(request, settings)
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def current_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    """The logged-in viewer; without a valid session the error handler sends the browser to /login."""
    token = request.cookies.get(SESSION_COOKIE)
    actor, user = await _token_holder(request)(session, token)
    assert token is not None
    viewer = Viewer(actor=actor, display_name=user.display_name, csrf_token=csrf_token(settings, token))
    request.state.viewer = viewer  # the layout shows who is logged in, even on error pages
    return viewer


async def optional_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer | None:
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return await current_viewer(request, session, settings)
    except Unauthorized:
        return None


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
OptionalViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]


async def checked_viewer(request: Request, viewer: ViewerDep) -> Viewer:
    """The viewer of a state-changing form, after its CSRF token has been checked."""
    form = await request.form()  # Starlette caches the parsed form for the route's own fields
    submitted = form.get(CSRF_FIELD)
    if not isinstance(submitted, str) or not hmac.compare_digest(submitted, viewer.csrf_token):
        raise CsrfRejected()
    return viewer


FormViewerDep = Annotated[Viewer, Depends(checked_viewer)]


def check_login_token(request: Request, submitted: str) -> None:
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not hmac.compare_digest(submitted, expected):
        raise CsrfRejected()
