"""Queries on users and tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import AuthToken, Firm, LoginFailure, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_username(self, username: str) -> User | None:
        result = await self.session.exec(select(User).where(User.username == username))
        return result.one_or_none()

    async def firm_uscc(self, firm_id: int | None) -> str | None:
        if firm_id is None:
            return None
        result = await self.session.exec(select(Firm.uscc).where(Firm.id == firm_id))
        return result.one_or_none()

    async def by_token(self, digest: str, now: datetime) -> User | None:
        statement = (
            select(User)
            .join(AuthToken, col(AuthToken.user_id) == col(User.id))
            .where(
                AuthToken.token_hash == digest,
                col(AuthToken.revoked_at).is_(None),
                AuthToken.expires_at > now,
                col(User.is_active).is_(True),
            )
        )
        result = await self.session.exec(statement)
        return result.one_or_none()

    async def revoke_token(self, digest: str, now: datetime) -> bool:
        result = await self.session.exec(
            update(AuthToken)
            .where(col(AuthToken.token_hash) == digest, col(AuthToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    async def failures_since(self, since: datetime, *, username: str, client_ip: str) -> tuple[int, int]:
        """Refused logins since ``since``: for this account from this address, and from this address."""
        recent = col(LoginFailure.at) >= since
        by_account = select(func.count()).where(
            recent, LoginFailure.username == username, LoginFailure.client_ip == client_ip
        )
        by_address = select(func.count()).where(recent, LoginFailure.client_ip == client_ip)
        return (await self.session.exec(by_account)).one(), (await self.session.exec(by_address)).one()

    def add(self, row: User | AuthToken | LoginFailure) -> None:
        self.session.add(row)
