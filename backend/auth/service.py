"""Log in and out, and resolve a bearer token to an Actor (creating users: ``backend.users``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit import service as audit
from backend.auth.errors import BadCredentials, NotAuthenticated, TooManyAttempts
from backend.auth.repository import UserRepository
from backend.auth.schemas import UserRead
from backend.core import clock
from backend.core.config import Settings
from backend.core.security import Actor, new_token, token_digest, verify_password
from backend.models import AuthToken, LoginFailure, User
from vocabulary.states import Role


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: UserRead


def actor_of(user: User) -> Actor:
    assert user.id is not None
    return Actor(
        user_id=user.id,
        label=user.username,
        role=Role(user.role),
        firm_id=user.firm_id,
        bureau_code=user.bureau_code,
    )


async def describe(session: AsyncSession, user: User) -> UserRead:
    assert user.id is not None
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        bureau_code=user.bureau_code,
        firm_uscc=await UserRepository(session).firm_uscc(user.firm_id),
    )


@dataclass(frozen=True)
class Throttle:
    """How many refused logins an account (from one address) and an address may have in a window."""

    per_account: int
    per_address: int
    window: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Throttle:
        return cls(
            per_account=settings.login_max_failures,
            per_address=settings.login_max_failures_per_address,
            window=timedelta(minutes=settings.login_window_minutes),
        )


async def login(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    ttl: timedelta,
    client_ip: str = "unknown",
    throttle: Throttle | None = None,
) -> IssuedToken:
    """Check the password (off the event loop: argon2 is deliberately slow) and issue a token.

    Throttled before the password is even checked, so guessing gets no answer at all.
    """
    repo = UserRepository(session)
    if throttle is not None:
        now = clock.utc_now()
        oldest_counted = await repo.throttled_until(
            now - throttle.window,
            username=username,
            client_ip=client_ip,
            per_account=throttle.per_account,
            per_address=throttle.per_address,
        )
        if oldest_counted is not None:
            raise TooManyAttempts(oldest_counted + throttle.window - now)
    user = await repo.by_username(username)
    stored = user.password_hash if user is not None and user.is_active else None
    if not await asyncio.to_thread(verify_password, stored, password) or user is None or user.id is None:
        raise BadCredentials()
    token, now = new_token(), clock.utc_now()
    expires_at = now + ttl
    repo.add(AuthToken(token_hash=token_digest(token), user_id=user.id, expires_at=expires_at))
    user.last_login_at = now
    session.add(user)
    await audit.record(
        session, actor_of(user), "auth.login", "user", user.id, after={"expires_at": expires_at.isoformat()}
    )
    return IssuedToken(token=token, expires_at=expires_at, user=await describe(session, user))


async def bound_firm_uscc(session: AsyncSession, actor: Actor) -> str:
    """The credit code of the firm an enterprise account is bound to."""
    uscc = await UserRepository(session).firm_uscc(actor.firm_id)
    if uscc is None:
        raise NotAuthenticated()
    return uscc


async def log_in(
    session: AsyncSession, settings: Settings, username: str, password: str, *, client_ip: str
) -> IssuedToken:
    """``login`` as the login page and the API do it: throttled, and each refusal counted.

    A refused login still raises ``BadCredentials``; callers answer it without raising, so the
    request's transaction commits the counted failure.
    """
    try:
        return await login(
            session,
            username,
            password,
            ttl=timedelta(hours=settings.token_ttl_hours),
            client_ip=client_ip,
            throttle=Throttle.of(settings),
        )
    except BadCredentials:
        UserRepository(session).add(LoginFailure(username=username[:60], client_ip=client_ip[:64]))
        raise


async def logout(session: AsyncSession, actor: Actor, token: str) -> None:
    if await UserRepository(session).revoke_token(token_digest(token), clock.utc_now()):
        await audit.record(session, actor, "auth.logout", "user", actor.user_id)


async def actor_for_token(session: AsyncSession, token: str | None) -> tuple[Actor, User]:
    if not token:
        raise NotAuthenticated()
    user = await UserRepository(session).by_token(token_digest(token), clock.utc_now())
    if user is None:
        raise NotAuthenticated()
    return actor_of(user), user
