"""Queries on users and tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.models import AuthToken, Firm, LoginFailure, User

# Every request asks this: built once (building a statement costs more than running it cached).
_USER_BY_TOKEN = (
    select(User)
    .join(AuthToken, col(AuthToken.user_id) == col(User.id))
    .where(
        col(AuthToken.token_hash) == bindparam("digest"),
        col(AuthToken.revoked_at).is_(None),
        col(AuthToken.expires_at) > bindparam("now"),
        col(User.is_active).is_(True),
    )
)


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
        result = await self.session.exec(_USER_BY_TOKEN, params={"digest": digest, "now": now})
        return result.one_or_none()

    async def revoke_token(self, digest: str, now: datetime) -> bool:
        result = await self.session.exec(
            update(AuthToken)
            .where(col(AuthToken.token_hash) == digest, col(AuthToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)

    async def throttled_until(
        self, since: datetime, *, username: str, client_ip: str, per_account: int, per_address: int
    ) -> datetime | None:
        """When refused logins since ``since`` stop throttling this account here and this address; None if they don't.

        Past a limit of N, the N-th newest refusal is the one whose expiry brings the count back under it.
        """
        recent = col(LoginFailure.at) >= since
        account = (LoginFailure.username == username, LoginFailure.client_ip == client_ip)
        address = (LoginFailure.client_ip == client_ip,)
        ends = []
        for conditions, limit in ((account, per_account), (address, per_address)):
            query = (
                select(LoginFailure.at)
                .where(recent, *conditions)
                .order_by(col(LoginFailure.at).desc())
                .offset(limit - 1)
                .limit(1)
            )
            ends.append((await self.session.exec(query)).one_or_none())
        counted = [end for end in ends if end is not None]
        return max(counted) if counted else None

    def add(self, row: User | AuthToken | LoginFailure) -> None:
        self.session.add(row)
