"""Log in for a bearer token; log out; who am I."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from backend.auth import service as auth_service
from backend.auth.deps import ActorDep, TokenDep
from backend.auth.schemas import LoginRequest, TokenRead, UserRead
from backend.core.config import get_settings
from backend.core.db import SessionDep
from backend.core.openapi import error_responses

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=TokenRead, responses=error_responses(401, 422))
async def login(body: LoginRequest, session: SessionDep) -> TokenRead:
    """Exchange a username and password for a bearer token."""
    ttl = timedelta(hours=get_settings().token_ttl_hours)
    issued = await auth_service.login(session, body.username, body.password, ttl=ttl)
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
