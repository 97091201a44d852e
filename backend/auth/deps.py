"""The acting user of a request, from its bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.auth import service as auth_service
from backend.core.db import SessionDep
from backend.core.security import Actor

bearer = HTTPBearer(auto_error=False, description="POST /api/auth/login 返回的令牌")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str | None:
    return credentials.credentials if credentials is not None else None


async def current_actor(session: SessionDep, token: Annotated[str | None, Depends(bearer_token)]) -> Actor:
    actor, _user = await auth_service.actor_for_token(session, token)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
TokenDep = Annotated[str | None, Depends(bearer_token)]
