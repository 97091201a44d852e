"""Log in for a bearer token; log out; who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from backend.auth import service as auth_service
from backend.auth.deps import ActorDep, TokenDep
from backend.auth.errors import BadCredentials
from backend.auth.schemas import LoginRequest, TokenRead, UserRead
from backend.core.db import SessionDep
from backend.core.deps import SettingsDep, client_ip
from backend.core.error_handlers import app_error_response
from backend.core.openapi import error_responses

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=TokenRead, responses=error_responses(401, 422, 429))
async def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenRead | JSONResponse:
    """Exchange a username and password for a bearer token (throttled after repeated failures)."""
    try:
        issued = await auth_service.log_in(
            session, settings, body.username, body.password, client_ip=client_ip(request)
        )
    except BadCredentials as refused:
        return app_error_response(refused)  # answered, not raised: the counted failure commits
    return TokenRead(access_token=issued.token, expires_at=issued.expires_at, user=issued.user)


@router.post("/logout", status_code=204, responses=error_responses(401))
async def logout(session: SessionDep, actor: ActorDep, token: TokenDep) -> None:
    """Revoke the token this request carries."""
    await auth_service.logout(session, actor, token or "")


@router.get("/me", response_model=UserRead, responses=error_responses(401))
async def me(session: SessionDep, token: TokenDep) -> UserRead:
    """The logged-in user, with role and binding."""
    _actor, user = await auth_service.actor_for_token(session, token)
    return await auth_service.describe(session, user)
